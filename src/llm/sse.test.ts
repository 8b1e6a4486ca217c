import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sseData } from './sse.js';

function body(pieces: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
      controller.close();
    },
  });
}

const cafe = new TextEncoder().encode('data: café\n\n');
const cases: Array<{ name: string; pieces: Array<string | Uint8Array>; data: string[] }> = [
  { name: 'LF events', pieces: ['data: {"a":1}\n\ndata: [DONE]\n\n'], data: ['{"a":1}', '[DONE]'] },
  { name: 'CRLF and CR line ends', pieces: ['data: one\r\n\r\ndata: two\r\rdata: three\n\n'], data: ['one', 'two', 'three'] },
  { name: 'an event split across reads, a CRLF split between them', pieces: ['da', 'ta: {"b"', ':2}\r', '\n\r\n'], data: ['{"b":2}'] },
  { name: 'comments, other fields and no space after the colon', pieces: [': keep-alive\n\nevent: x\nid: 3\ndata:tight\n\n'], data: ['tight'] },
  { name: 'multi-line data joined with a newline', pieces: ['data: a\ndata: b\n\n'], data: ['a\nb'] },
  { name: 'a last event without its blank line', pieces: ['data: tail'], data: ['tail'] },
  { name: 'UTF-8 split inside a character', pieces: [cafe.subarray(0, 10), cafe.subarray(10)], data: ['café'] },
];

for (const c of cases) {
  test(`sseData: ${c.name}`, async () => {
    const out: string[] = [];
    let reads = 0;
    for await (const data of sseData(body(c.pieces), () => reads++)) out.push(data);
    assert.deepEqual(out, c.data);
    assert.equal(reads, c.pieces.length);
  });
}
