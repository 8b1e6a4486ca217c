/**
 * Requests generated from our own OpenAPI document (src/server/openapi.ts) with fast-check: every
 * documented operation, its path, query and header parameters drawn valid or hostile (wrong types,
 * garbage, huge, another tenant's job id), its JSON or multipart body drawn from the schema and then
 * broken (missing and extra fields, wrong types, malformed and huge JSON, multipart without a boundary,
 * unterminated, thousands of parts, over-long fields), plus bad Authorization, Range and Last-Event-ID.
 * A request is a plain description; `materialize` turns it into bytes when it is sent, so a batch of
 * generated requests holds no big body in memory.
 */
import fc from 'fast-check';
import { openApiDocument } from '../../../src/server/openapi.js';
import { fuzzMultipart, type MultipartSpec, multipartArb } from './fuzz-multipart.js';

type Schema = Record<string, any>;

/** A job id as the fuzz picks it; resolved against the target's ids when the request is sent. */
export type IdPick = { own: number } | { foreign: true } | { raw: string };

export type BodySpec =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; contentType: string }
  | { kind: 'raw'; text: string; contentType: string | null }
  | { kind: 'huge-json'; bytes: number }
  | { kind: 'deep-json'; depth: number }
  | { kind: 'multipart'; spec: MultipartSpec }
  /** A JSON-RPC message for /mcp: a method, maybe a tool call on a job id the fuzz picks. */
  | { kind: 'mcp'; method: string; tool: string; jobId: IdPick; args: Record<string, unknown> };

export interface FuzzRequest {
  method: string;
  /** The documented path template, `{id}` still in it. */
  template: string;
  id: IdPick;
  query: Array<[string, string]>;
  auth: AuthPick;
  headers: Array<[string, string]>;
  body: BodySpec;
}

export type AuthPick = 'own' | 'none' | 'wrong-key' | 'empty-bearer' | 'basic' | 'lowercase' | 'duplicate' | 'own-then-garbage' | 'huge';

export interface Operation {
  template: string;
  method: string;
  op: Schema;
}

export function documentedOperations(): Operation[] {
  const doc = openApiDocument() as { paths: Record<string, Record<string, Schema>> };
  return Object.entries(doc.paths).flatMap(([template, item]) => Object.entries(item).map(([method, op]) => ({ template, method: method.toUpperCase(), op })));
}

const GARBAGE_STRINGS = ['', ' ', '0', '-1', 'NaN', 'Infinity', '1e400', '9'.repeat(400), 'null', 'true', '[]', '{}', '%00', '\u0000', '../../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", '\u202e\ufeff', 'j', 'j000000', 'jzzzzzzzzzzzzzzzzzzzzzzzz'];

const garbageString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...GARBAGE_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => 'x'.repeat(n)) },
);

/** A value of the schema's type, or a hostile one of another type. */
export function valueArb(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const valid = validValueArb(schema ?? {});
  const wrong = fc.oneof(
    garbageString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  );
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: wrong });
}

export function validValueArb(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  if (schema.oneOf) return fc.oneof(...(schema.oneOf as Schema[]).map(validValueArb));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
      return fc.integer({ min: (schema.minimum as number | undefined) ?? -5, max: (schema.maximum as number | undefined) ?? 10_000 });
    case 'number':
      return fc.double({ min: (schema.minimum as number | undefined) ?? -5, max: (schema.maximum as number | undefined) ?? 10_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validValueArb(schema.items ?? {}), { maxLength: 4 });
    case 'string':
      if (schema.format === 'uri') return urlArb;
      if (schema.format === 'binary') return fc.constant('');
      if (typeof schema.example === 'string') return fc.oneof({ weight: 3, arbitrary: fc.constant(schema.example) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });
      return fc.string({ maxLength: (schema.maxLength as number | undefined) ?? 30 });
    default:
      return fc.string({ maxLength: 10 });
  }
}

/** URLs a job or webhook may name: none of them may be fetched from here (SSRF policy) or resolve. */
export const urlArb = fc.oneof(
  fc.constantFrom(
    'http://127.0.0.1:1/a.wav',
    'http://localhost/a.mp3',
    'http://[::1]:8080/x',
    'http://10.0.0.1/a.wav',
    'http://169.254.169.254/latest/meta-data/',
    'http://0x7f000001/a.wav',
    'http://2130706433/a.wav',
    'file:///etc/passwd',
    'ftp://example.invalid/a.wav',
    'gopher://127.0.0.1:6379/_FLUSHALL',
    'http://example.invalid/a.mp3',
    'https://user:pass@example.invalid/a.mp3',
    'javascript:alert(1)',
    'http://',
    'http://a b/',
  ),
  fc.webUrl().map((u) => u.replace(/^(https?:\/\/)[^/:?#]+/, '$1host.invalid')),
);

const idArb: fc.Arbitrary<IdPick> = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((own) => ({ own })) },
  { weight: 2, arbitrary: fc.constant({ foreign: true as const }) },
  { weight: 1, arbitrary: fc.stringMatching(/^j[0-9a-z]{6,20}$/).map((raw) => ({ raw })) },
  { weight: 2, arbitrary: garbageString.map((raw) => ({ raw })) },
);

const authArb: fc.Arbitrary<AuthPick> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('own' as const) },
  { weight: 1, arbitrary: fc.constantFrom<AuthPick>('none', 'wrong-key', 'empty-bearer', 'basic', 'lowercase', 'duplicate', 'own-then-garbage', 'huge') },
);

const rangeArb = fc.oneof(
  fc.constantFrom('bytes=0-0', 'bytes=0-', 'bytes=-1', 'bytes=-0', 'bytes=5-1', 'bytes=0-1,2-3', 'bytes=99999999999999999999-', 'bytes=-99999999999999999999', 'items=0-1', 'bytes=', 'bytes=--1', 'bytes=1e3-2e3', 'bytes= 0-1'),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `bytes=${a}-${b}`),
  garbageString,
);

const lastEventIdArb = fc.oneof(fc.constantFrom('-1', '0', '1', '-2', '1.5', '1e3', '9007199254740993', ' 0', 'NaN', ''), fc.integer().map(String), garbageString);

const extraHeaderArb = fc.oneof(
  fc.tuple(fc.constantFrom('Range'), rangeArb),
  fc.tuple(fc.constantFrom('Last-Event-ID'), lastEventIdArb),
  fc.tuple(fc.constantFrom('Accept', 'Origin', 'X-Forwarded-For', 'If-None-Match', 'Accept-Encoding', 'Content-Encoding', 'Transfer-Encoding', 'Expect'), garbageString),
  fc.tuple(fc.constantFrom('X-Fuzz'), fc.integer({ min: 1, max: 64 }).map((kb) => 'h'.repeat(kb * 1024))),
);

function queryArb(params: Schema[]): fc.Arbitrary<Array<[string, string]>> {
  const declared = params.filter((p) => p.in === 'query');
  const one = declared.map((p) => fc.option(valueArb(p.schema).map((v): [string, string] => [p.name as string, typeof v === 'string' ? v : JSON.stringify(v)]), { nil: undefined }));
  const extra = fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...declared.map((p) => p.name as string), 'owner', 'last_event_id', 'sig', 'exp')), garbageString), { maxLength: 3 });
  return fc.tuple(fc.tuple(...one), extra).map(([picked, more]) => [...picked.filter((p): p is [string, string] => p !== undefined), ...more]);
}

function jsonBodyArb(schema: Schema): fc.Arbitrary<BodySpec> {
  const props = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
  const objectArb = fc
    .tuple(
      fc.tuple(...props.map(([name, s]) => fc.option(valueArb(s).map((v) => [name, v] as const), { nil: undefined, freq: 3 }))),
      fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    )
    .map(([picked, extra]) => ({ ...extra, ...Object.fromEntries(picked.filter((p) => p !== undefined)) }));
  const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded');
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(objectArb, contentType).map(([value, ct]): BodySpec => ({ kind: 'json', value, contentType: ct })) },
    { weight: 2, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 3 }), contentType).map(([value, ct]): BodySpec => ({ kind: 'json', value, contentType: ct })) },
    { weight: 2, arbitrary: fc.tuple(malformedJsonArb, fc.constantFrom('application/json', null)).map(([text, ct]): BodySpec => ({ kind: 'raw', text, contentType: ct })) },
    { weight: 1, arbitrary: fc.integer({ min: 60 * 1024, max: 2 * 1024 * 1024 }).map((bytes): BodySpec => ({ kind: 'huge-json', bytes })) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((depth): BodySpec => ({ kind: 'deep-json', depth })) },
  );
}

const malformedJsonArb = fc.oneof(
  fc.constantFrom('', '{', '}', '{"url":', '{"url": "http://x"', '[1,2', 'nul', '{"a":1,}', '\u0000{}', '\ufeff{"question":"x"}', '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"x": 1}}}', '1e999999', '"' + 'a'.repeat(1000)),
  fc.string({ maxLength: 60 }),
);

const mcpArb: fc.Arbitrary<BodySpec> = fc.record({
  kind: fc.constant('mcp' as const),
  method: fc.constantFrom('initialize', 'tools/list', 'tools/call', 'tools/call', 'tools/call', 'resources/list', 'resources/read', 'ping', 'nope/nope'),
  tool: fc.constantFrom('get_job', 'get_transcript', 'search_transcripts', 'ask_transcript', 'transcribe', 'no_such_tool'),
  jobId: idArb,
  args: fc.record(
    {
      query: fc.constantFrom('time', 'people', 'work "day man"', ''),
      path: fc.constantFrom('/etc/passwd', '../../x', '/tmp', 'relative.wav'),
      url: urlArb,
      start_sec: valueArb({ type: 'number' }),
      end_sec: valueArb({ type: 'number' }),
      question: fc.string({ maxLength: 30 }),
      wait: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
});

function bodyArb(op: Schema, template: string): fc.Arbitrary<BodySpec> {
  if (template === '/mcp') return fc.oneof({ weight: 4, arbitrary: mcpArb }, { weight: 1, arbitrary: jsonBodyArb({}) });
  const content = (op.requestBody?.content ?? {}) as Record<string, { schema: Schema }>;
  const options: Array<fc.WeightedArbitrary<BodySpec>> = [{ weight: 1, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) }];
  if (content['application/json']) options.push({ weight: 6, arbitrary: jsonBodyArb(content['application/json'].schema) });
  if (content['multipart/form-data']) {
    options.push({ weight: 8, arbitrary: multipartArb(content['multipart/form-data'].schema).map((spec): BodySpec => ({ kind: 'multipart', spec })) });
  }
  if (options.length === 1) options.push({ weight: 1, arbitrary: jsonBodyArb({}) });
  return fc.oneof(...options);
}

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** One request against one of the documented operations (or a near miss: another method, a typo'd path). */
export function requestArb(operations: readonly Operation[]): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    ...operations.map((operation) => {
      const params = (operation.op.parameters ?? []) as Schema[];
      return fc.record({
        method: fc.oneof({ weight: 9, arbitrary: fc.constant(operation.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) }),
        template: fc.oneof({ weight: 19, arbitrary: fc.constant(operation.template) }, { weight: 1, arbitrary: fc.constantFrom(`${operation.template}/x`, `${operation.template}%2f..`, operation.template.toUpperCase(), `${operation.template}//`) }),
        id: idArb,
        query: queryArb(params),
        auth: operation.op.security?.length === 0 ? fc.constantFrom<AuthPick>('own', 'none') : authArb,
        headers: fc.array(extraHeaderArb, { maxLength: 2 }),
        body: operation.method === 'POST' ? bodyArb(operation.op, operation.template) : fc.oneof({ weight: 9, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) }, { weight: 1, arbitrary: jsonBodyArb({}) }),
      });
    }),
  );
}

export interface Materialized {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: Uint8Array | null;
}

export interface Ids {
  own: readonly string[];
  foreign: string;
  keyA: string;
  wav: Uint8Array;
}

function authHeaders(pick: AuthPick, key: string): Array<[string, string]> {
  switch (pick) {
    case 'own':
      return [['Authorization', `Bearer ${key}`]];
    case 'none':
      return [];
    case 'wrong-key':
      return [['Authorization', `Bearer ${key.slice(0, -1)}X`]];
    case 'empty-bearer':
      return [['Authorization', 'Bearer ']];
    case 'basic':
      return [['Authorization', `Basic ${Buffer.from(`a:${key}`).toString('base64')}`]];
    case 'lowercase':
      return [['authorization', `bearer ${key}`]];
    case 'duplicate':
      return [['Authorization', 'Bearer not-a-key-000000000000'], ['Authorization', `Bearer ${key}`]];
    case 'own-then-garbage':
      return [['Authorization', `Bearer ${key} extra`]];
    case 'huge':
      return [['Authorization', `Bearer ${'k'.repeat(100_000)}`]];
  }
}

/** Bytes and headers of a generated request, with the ids resolved. */
export function materialize(request: FuzzRequest, ids: Ids): Materialized {
  // A DELETE (purge) never names the first own job: the socket-level tests need it afterwards.
  const deletable = request.method === 'DELETE' ? ids.own.slice(1) : ids.own;
  const resolve = (pick: IdPick) => ('own' in pick ? (deletable[pick.own % Math.max(1, deletable.length)] ?? 'jnothing0000') : 'foreign' in pick ? ids.foreign : pick.raw);
  const id = 'raw' in request.id ? encodeURIComponent(request.id.raw) : resolve(request.id);
  const query = request.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const path = request.template.replace('{id}', id) + (query ? `?${query}` : '');
  // A header value is bytes: UTF-8 sent as Latin-1, without the CR, LF and NUL no client can send.
  const headers = [...authHeaders(request.auth, ids.keyA), ...request.headers].map(([name, value]): [string, string] => [name, Buffer.from(value, 'utf8').toString('latin1').replace(/[\r\n\0]/g, '')]);
  const body = request.body;
  let bytes: Uint8Array | null = null;
  switch (body.kind) {
    case 'none':
      break;
    case 'json':
      bytes = Buffer.from(JSON.stringify(body.value) ?? 'null');
      headers.push(['Content-Type', body.contentType]);
      break;
    case 'raw':
      bytes = Buffer.from(body.text);
      if (body.contentType) headers.push(['Content-Type', body.contentType]);
      break;
    case 'huge-json':
      bytes = Buffer.from(JSON.stringify({ url: 'http://example.invalid/a.wav', question: 'q'.repeat(body.bytes) }));
      headers.push(['Content-Type', 'application/json']);
      break;
    case 'deep-json':
      bytes = Buffer.from('['.repeat(body.depth) + ']'.repeat(body.depth));
      headers.push(['Content-Type', 'application/json']);
      break;
    case 'mcp': {
      const params = body.method === 'tools/call' ? { name: body.tool, arguments: { job_id: resolve(body.jobId), ...body.args } } : body.method === 'resources/read' ? { uri: `transcript://${resolve(body.jobId)}` } : body.method === 'initialize' ? { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } : {};
      bytes = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: body.method, params }));
      headers.push(['Content-Type', 'application/json']);
      break;
    }
    case 'multipart': {
      const made = fuzzMultipart(body.spec, ids.wav);
      bytes = made.bytes;
      if (made.contentType !== null) headers.push(['Content-Type', made.contentType]);
      break;
    }
  }
  // The MCP transport answers 406 to a client that does not take both; most generated calls get past it.
  if (request.template === '/mcp' && !headers.some(([name]) => name === 'Accept')) headers.push(['Accept', 'application/json, text/event-stream']);
  return { method: request.method, path, headers, body: bytes };
}
