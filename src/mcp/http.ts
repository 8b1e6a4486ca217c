/**
 * `/mcp` on `parascribe serve`: MCP's Streamable HTTP transport, stateless. Each POST builds a server for
 * the request's owner (the bearer API key, checked by the app's auth middleware in front of this route,
 * as for /v1) and a transport for that one request; replies stream as SSE, so `transcribe` with `wait`
 * can send progress and keep-alives. With no sessions there is no server-initiated stream: GET and
 * DELETE answer 405, as the spec allows. A request whose Origin names another host is refused (the
 * spec's guard against DNS rebinding, which matters most with --no-auth on a loopback port).
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono, type Context } from 'hono';
import type { TranscriptionService } from '../service/service.js';
import type { AuthEnv } from '../server/auth/index.js';
import { pacedRequest } from '../server/body-pace.js';
import { createMcpServer } from './server.js';

export const MCP_PATH = '/mcp';

const rpcError = (c: Context, status: 403 | 405, message: string) => c.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, status);

/** An Origin header, when a browser sends one, must name the host the request was sent to. */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

export function mcpRoutes(service: TranscriptionService, options: { log?: (line: string) => void } = {}): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.post('/', async (c) => {
    if (!sameOrigin(c)) return rpcError(c, 403, 'Forbidden: the Origin header names another host');
    const server = createMcpServer({ service, owner: c.get('owner'), ...(options.log ? { log: options.log } : {}) });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    // The client went away: abort the running tool calls (a wait, an ask) and drop the server.
    c.req.raw.signal.addEventListener('abort', () => void server.close().catch(() => undefined), { once: true });
    // The SDK caps the body's size; the pace (a body trickled in, or stalled) is ours to enforce.
    const { bodyIdleTimeoutSec, minBodyBytesPerSec } = service.config.serve;
    return transport.handleRequest(pacedRequest(c.req.raw, { idleTimeoutMs: bodyIdleTimeoutSec * 1000, minBytesPerSec: minBodyBytesPerSec, noun: 'the request body' }));
  });
  app.on(['GET', 'DELETE'], '/', (c) => {
    c.header('Allow', 'POST');
    return rpcError(c, 405, 'Method not allowed: this MCP endpoint is stateless; POST JSON-RPC messages to it');
  });
  return app;
}
