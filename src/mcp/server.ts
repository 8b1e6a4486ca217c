/**
 * The MCP server: one McpServer (the official SDK's high-level API) over a TranscriptionService, for one
 * owner. `parascribe mcp` builds one for the local owner and serves it on stdio (src/cli/mcp.ts);
 * `parascribe serve` builds one per `/mcp` request for the request's API key (http.ts).
 *
 *   tools:     transcribe · get_job · get_transcript · search_transcripts · ask_transcript (tools/)
 *   resources: transcript://{jobId} — a completed job's transcript as md
 *
 * `tools/call` is dispatched here rather than by the SDK: the SDK answers arguments that fail the
 * schema with its own text, and every failure of ours, bad arguments included, is a tool error
 * `error[CODE]: message` (errors.ts). The schemas are still registered with the SDK, which lists them.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { renderMd } from '../outputs/text.js';
import type { TranscriptionService } from '../service/service.js';
import { clientError, errorLine, invalidArguments, toolError } from './errors.js';
import type { McpTool, ToolContext } from './tool.js';
import { askTool } from './tools/ask.js';
import { getJobTool } from './tools/get-job.js';
import { getTranscriptTool } from './tools/get-transcript.js';
import { searchTool } from './tools/search.js';
import { transcribeTool } from './tools/transcribe.js';
import { transcriptUri } from './views.js';

export const MCP_TOOLS: readonly McpTool[] = [transcribeTool, getJobTool, getTranscriptTool, searchTool, askTool];

const VERSION = '0.1.0';

const INSTRUCTIONS = `parascribe transcribes long recordings (segmented, in parallel) and answers questions about them.
Typical flow: transcribe (a server path inside the allowed roots, or an http(s) URL; wait=true to block until done) → get_transcript (md with [hh:mm:ss] markers, paged) or search_transcripts → ask_transcript for questions with cited times.
Errors come back as "error[CODE]: message".`;

export interface McpServerOptions {
  service: TranscriptionService;
  /** Whose jobs the tools see and create. */
  owner: string;
  /** The server log (stderr on stdio): INTERNAL errors' messages. */
  log?: (line: string) => void;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export function createMcpServer(options: McpServerOptions): McpServer {
  const { service, owner } = options;
  const log = options.log ?? (() => {});
  const dataDir = service.config.dataDir;
  const server = new McpServer({ name: 'parascribe', title: 'parascribe', version: VERSION }, { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS });

  const call = async (tool: McpTool, rawArgs: unknown, extra: Extra): Promise<CallToolResult> => {
    const parsed = tool.input.safeParse(rawArgs ?? {});
    if (!parsed.success) return toolError(invalidArguments(parsed.error), dataDir, log);
    const progressToken = extra._meta?.progressToken;
    const context: ToolContext = {
      service,
      owner,
      config: service.config,
      signal: extra.signal,
      log,
      progress: async (progress, total, message) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, ...(total !== undefined ? { total } : {}), message } });
      },
    };
    try {
      return await tool.run(parsed.data, context);
    } catch (error) {
      return toolError(error, dataDir, log);
    }
  };

  const byName = new Map(MCP_TOOLS.map((tool) => [tool.name, tool]));
  for (const tool of MCP_TOOLS) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, ...(tool.annotations ? { annotations: tool.annotations } : {}) },
      (args: unknown, extra: Extra) => call(tool, args, extra),
    );
  }
  // Replaces the SDK's tools/call handler (installed by the first registerTool): see the header.
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
    return call(tool, request.params.arguments, extra);
  });

  server.registerResource(
    'transcript',
    new ResourceTemplate('transcript://{jobId}', {
      // The owner's completed jobs, newest first (the newest 100).
      list: async () => {
        const rows = await service.list(owner, 100);
        return {
          resources: rows
            .filter((row) => row.status === 'completed')
            .map((row) => ({ uri: transcriptUri(row.id), name: row.source_name ?? row.id, title: `Transcript of ${row.source_name ?? row.id}`, mimeType: 'text/markdown' })),
        };
      },
    }),
    { title: 'Transcript', description: 'A completed job\'s transcript as markdown: paragraphs under [hh:mm:ss] markers.', mimeType: 'text/markdown' },
    async (uri, variables) => {
      const jobId = String(Array.isArray(variables.jobId) ? variables.jobId[0] : variables.jobId);
      try {
        const row = await service.get(owner, jobId);
        const document = await service.document(row);
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: renderMd(document) }] };
      } catch (thrown) {
        const error = clientError(thrown, dataDir, log);
        // -32002: the spec's "resource not found"; the message is ours, code and all.
        throw Object.assign(new Error(errorLine(error)), { code: error.code === 'JOB_NOT_FOUND' ? -32002 : error.code === 'INTERNAL' ? ErrorCode.InternalError : ErrorCode.InvalidParams });
      }
    },
  );
  return server;
}
