/**
 * What an MCP tool is here: a name, a zod input schema (the SDK lists it as JSON Schema; the dispatch
 * in server.ts parses with it), and a `run` that calls the TranscriptionService for its owner. Tools
 * never touch the store. Results: text for the model to read, and the same data as structuredContent.
 */
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { TranscriptionService } from '../service/service.js';

export interface ToolContext {
  service: TranscriptionService;
  /** Whose jobs these are: the API key's owner over HTTP, the local owner on stdio. */
  owner: string;
  config: Config;
  /** Aborts when the client cancels the call or goes away. */
  signal: AbortSignal;
  log: (line: string) => void;
  /** Progress to a client that asked for it (it sent a progress token); a no-op otherwise. */
  progress(progress: number, total: number | undefined, message: string): Promise<void>;
}

export interface McpTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: S;
  annotations?: ToolAnnotations;
  run(args: z.output<S>, ctx: ToolContext): Promise<CallToolResult>;
}

/** Keeps each tool's argument type while the server holds them in one list. */
export function defineTool<S extends z.ZodObject>(tool: McpTool<S>): McpTool {
  return tool as unknown as McpTool;
}

/** A JSON result: pretty text for the model, the object itself as structuredContent. */
export function jsonResult(value: Record<string, unknown>, lead?: string): CallToolResult {
  const json = JSON.stringify(value, null, 2);
  return { content: [{ type: 'text', text: lead ? `${lead}\n\n${json}` : json }], structuredContent: value };
}
