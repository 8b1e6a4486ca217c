/**
 * `parascribe mcp`: the MCP server on stdio, for a local MCP client (Claude Desktop, an IDE, an agent)
 * that starts it as a child process. Stdout carries only the MCP protocol; every log line goes to
 * stderr. Its jobs belong to the local owner (the one `serve --no-auth` uses), and run in this process
 * like `serve`'s: jobs it left unfinished are resumed when it starts again. It ends when the client
 * closes stdin, or on SIGINT/SIGTERM; running jobs go back to the queue.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { createMcpServer } from '../mcp/server.js';
import { resolveChain } from '../pipeline/job.js';
import { openRuntime } from '../runtime.js';
import { ANONYMOUS_OWNER } from '../server/auth/index.js';
import { TranscriptionService } from '../service/service.js';

export interface McpIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  signal: AbortSignal;
}

export async function mcpCommand(config: Config, io: McpIo): Promise<number> {
  if (config.distributed.redisUrl) {
    // Workers fetch segment audio from the server over HTTP, which this process does not serve.
    throw new ParascribeError('INVALID_CONFIG', 'parascribe mcp transcribes in its own process and cannot use distributed mode (PARASCRIBE_REDIS_URL): use /mcp on parascribe serve instead');
  }
  const log = (line: string) => void io.stderr.write(`parascribe mcp: ${line}\n`);
  const runtime = await openRuntime(config, { role: 'server', log, checkBackends: (backends) => resolveChain(config, backends) });
  const service = new TranscriptionService({ runtime, log });
  const server = createMcpServer({ service, owner: ANONYMOUS_OWNER, log });
  try {
    const { resumed } = await service.start({ owner: ANONYMOUS_OWNER });
    if (resumed.length > 0) log(`resuming ${resumed.length} unfinished job(s): ${resumed.join(' ')}`);
    const transport = new StdioServerTransport(io.stdin as NodeJS.ReadStream, io.stdout as NodeJS.WriteStream);
    const ended = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      io.stdin.once('end', () => resolve());
      io.stdin.once('close', () => resolve());
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    transport.onerror = (error) => log(`stdio: ${error.message}`);
    await server.connect(transport);
    log(`ready on stdio (data dir ${config.dataDir}; file paths ${config.mcp.roots.length > 0 ? `under ${config.mcp.roots.join(', ')}` : 'off: set mcp.roots or PARASCRIBE_MCP_ROOTS'})`);
    await ended;
    log('stopping: running jobs go back to the queue');
    return 0;
  } finally {
    await server.close().catch(() => undefined);
    await service.stop();
    await runtime.close();
  }
}
