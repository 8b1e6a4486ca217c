/**
 * A FAKE OpenTelemetry collector, for tests only: an OTLP/HTTP receiver on loopback that takes
 * `POST /v1/traces` in the JSON encoding (what @opentelemetry/exporter-trace-otlp-http sends; gzip
 * accepted) and keeps every span, flattened with its resource's attributes. Anything else (protobuf,
 * another path) is counted as a request and refused, so a test sees it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  events: string[];
  resource: Record<string, AttributeValue>;
}

export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  url: string;
  spans: ReceivedSpan[];
  /** Every request that reached the receiver, accepted or not. */
  requests: Array<{ method: string; path: string; contentType: string; status: number }>;
  /** Resolves once `predicate` holds for the spans received so far (checked on each export), or rejects after timeoutMs. */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

type OtlpAnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: OtlpAnyValue[] } };
type OtlpKeyValue = { key: string; value: OtlpAnyValue };

function anyValue(value: OtlpAnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(anyValue);
  return null;
}

const attributes = (list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> => Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));

/** The spans of one ExportTraceServiceRequest (JSON encoding: hex ids, nanosecond strings). */
export function parseExport(body: unknown): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of (body as { resourceSpans?: any[] }).resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind ?? 0,
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          statusCode: s.status?.code ?? 0,
          events: (s.events ?? []).map((e: { name: string }) => e.name),
          resource,
        });
      }
    }
  }
  return spans;
}

/** The spans whose parent is `parent` (of that name, if given). */
export function childrenOf(spans: readonly ReceivedSpan[], parent: ReceivedSpan, name?: string): ReceivedSpan[] {
  return spans.filter((s) => s.parentSpanId === parent.spanId && (name === undefined || s.name === name));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const listeners = new Set<() => void>();
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const contentType = String(request.headers['content-type'] ?? '');
    const answer = (status: number, body: string) => {
      requests.push({ method: request.method ?? '', path, contentType, status });
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    };
    try {
      const body = await readBody(request);
      if (request.method !== 'POST' || path !== '/v1/traces') return answer(404, '{}');
      if (!contentType.startsWith('application/json')) return answer(415, JSON.stringify({ message: `only OTLP JSON is understood, not ${contentType}` }));
      spans.push(...parseExport(JSON.parse(body.toString('utf8'))));
      answer(200, '{}');
      for (const listener of [...listeners]) listener();
    } catch (error) {
      answer(400, JSON.stringify({ message: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    waitFor(predicate, timeoutMs = 30_000) {
      if (predicate(spans)) return Promise.resolve(spans);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(spans)) return;
          cleanup();
          resolve(spans);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`the spans expected did not arrive within ${timeoutMs} ms; received: ${spans.map((s) => `${s.name}@${s.resource['parascribe.role']}`).join(', ')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
