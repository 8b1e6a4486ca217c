/**
 * The `mcp` section: what the MCP server (`parascribe mcp` on stdio, `/mcp` on `parascribe serve`)
 * lets its tools do beyond the service's own API. `roots`: the directories a `transcribe` tool call may
 * read a file from by path (src/mcp/roots.ts); none by default, so a path input is refused until the
 * operator names them. URLs need no setting here: they pass the service's SSRF checks (`serve.url`).
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

export const mcpSchema = z
  .object({
    /** Absolute directories; a path input must lie inside one of them once symbolic links are resolved. */
    roots: z
      .array(
        z
          .string()
          .min(1)
          .refine((dir) => isAbsolute(dir), 'an absolute directory path')
          .transform((dir) => resolve(dir)),
      )
      .default([]),
    /** get_transcript: the longest page of text one call returns (a longer transcript is paged). */
    maxPageChars: z.number().int().min(1000).max(1_000_000).default(50_000),
  })
  .strict();

export type McpConfig = z.infer<typeof mcpSchema>;
export const DEFAULT_MCP_CONFIG: McpConfig = mcpSchema.parse({});

/** PARASCRIBE_MCP_ROOTS: colon- or comma-separated directories (`/srv/audio:/home/me/recordings`). */
export function parseRootsList(raw: string): string[] {
  return raw
    .split(/[:,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
