/**
 * `parascribe serve` end to end over real HTTP: the official `openai` npm client against the
 * OpenAI-compatible front door (a WAV over OpenAI's 25 MB limit, verbose_json with word and segment
 * times; stream=true), and the SSE stream of a job (every segment once, in order; a reconnect with
 * Last-Event-ID gets exactly the rest). Real ffmpeg and pocketsphinx behind it.
 */
import assert from 'node:assert/strict';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { FIXTURES, ffmpeg, tempDir } from './helpers/cli.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob, type RunningServer } from './helpers/server.js';

interface SseEvent {
  event: string;
  id: string | null;
  data: string;
}

/** Reads SSE events from a fetch response until `stop` says so or the stream ends. */
async function readSse(response: Response, stop: (event: SseEvent, all: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: 'message', id: null, data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('data: ')) event.data += line.slice(6);
        }
        if (block.trim() === '' || block.startsWith(':')) continue;
        events.push(event);
        if (stop(event, events)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

const GPL = join(FIXTURES, 'gpl-preamble.mp3');

describe('parascribe serve: OpenAI front door and SSE', { timeout: 600_000 }, () => {
  let server: RunningServer;
  let bigWav: string;

  before(async () => {
    const dir = tempDir('serve-api');
    // 48 kHz stereo s16 padded to 225 s: 43 MB, over OpenAI's 25 MB upload limit.
    bigWav = join(dir, 'big.wav');
    ffmpeg(['-i', GPL, '-af', 'apad=whole_dur=225', '-ar', '48000', '-ac', '2', '-c:a', 'pcm_s16le', bigWav]);
    server = await startServer({ env: { PARASCRIBE_SEGMENT_SEC: '60' } });
  });

  after(async () => {
    await server?.stop();
  });

  it('the openai client transcribes a WAV over 40 MB as verbose_json with absolute word and segment times', async () => {
    const bytes = statSync(bigWav).size;
    assert.ok(bytes >= 40 * 1024 * 1024, `fixture is ${bytes} bytes`);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: TEST_KEYS[0] });
    const result = (await client.audio.transcriptions.create({
      file: createReadStream(bigWav),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    })) as unknown as { text: string; duration: number; segments: Array<{ start: number; end: number; text: string }>; words: Array<{ word: string; start: number; end: number }> };
    assert.ok(Math.abs(result.duration - 225) < 0.5, `duration ${result.duration}`);
    assert.match(result.text, /general public license/i);
    assert.ok(result.words.length > 300, `${result.words.length} words`);
    // Phrases of at most 30 s, as OpenAI's segments are.
    assert.ok(result.segments.length >= 8, `${result.segments.length} segments`);
    assert.ok(result.segments.every((s) => s.end - s.start <= 30.001), 'segments of at most 30 s');
    // Absolute times: they run through the whole recording (4 segments of ~60 s), in order.
    for (let i = 1; i < result.words.length; i++) assert.ok(result.words[i]!.start >= result.words[i - 1]!.start - 0.001, `word ${i} goes back in time`);
    assert.ok(result.words.at(-1)!.end > 190 && result.words.at(-1)!.end <= 225, `last word ends at ${result.words.at(-1)!.end}`);
    assert.ok(result.segments.some((s) => s.start > 150), 'segments after 150 s');
    assert.ok(result.words.filter((w) => w.start > 120).length > 50, 'words from the later segments');
  });

  it('stream=true yields text deltas, then done with the stitched text', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: TEST_KEYS[0] });
    const stream = await client.audio.transcriptions.create({ file: createReadStream(GPL), model: 'whisper-1', stream: true, language: 'en' });
    const deltas: string[] = [];
    let done: string | null = null;
    for await (const event of stream) {
      if (event.type === 'transcript.text.delta') {
        assert.equal(done, null, 'no delta after done');
        deltas.push(event.delta);
      } else if (event.type === 'transcript.text.done') done = event.text;
    }
    assert.ok(deltas.length >= 3, `${deltas.length} deltas (one per 60 s segment)`);
    assert.ok(done, 'a done event');
    assert.match(done!, /general public license/i);
    // Deltas are the segments' own texts; the done text is the stitched transcript of the same words.
    const deltaWords = deltas.join(' ').split(/\s+/).filter(Boolean).length;
    const doneWords = done!.split(/\s+/).filter(Boolean).length;
    assert.ok(Math.abs(deltaWords - doneWords) <= 10, `${deltaWords} words in deltas vs ${doneWords} in done`);
  });

  it('SSE: every segment exactly once and in order; a reconnect with Last-Event-ID gets exactly the rest', async () => {
    const { status, body } = await submitFile(server.url, GPL, { segment_sec: '40', language: 'en' }, TEST_KEYS[1], 'gpl.mp3');
    assert.equal(status, 202);
    const eventsUrl = `${server.url}/v1/jobs/${body.id}/events`;
    const headers = authHeaders(TEST_KEYS[1]);
    const fromStart = readSse(await fetch(eventsUrl, { headers }), (e) => e.event === 'done' || e.event === 'error');
    // A second client: leaves after two segments, then comes back with the last id it saw.
    const firstPart = await readSse(await fetch(eventsUrl, { headers }), (_e, all) => all.filter((x) => x.event === 'segment').length === 2);
    const lastId = firstPart.filter((e) => e.event === 'segment').at(-1)!.id!;
    assert.equal(lastId, '1');
    const rest = await readSse(await fetch(eventsUrl, { headers: { ...headers, 'Last-Event-ID': lastId } }), (e) => e.event === 'done' || e.event === 'error');

    const all = await fromStart;
    assert.equal(all.at(-1)!.event, 'done', all.at(-1)!.data);
    const job = await waitForJob(server.url, body.id, TEST_KEYS[1]);
    const total = job.progress.segments_total as number;
    assert.ok(total >= 5, `${total} segments`);
    const indices = (events: SseEvent[]) => events.filter((e) => e.event === 'segment').map((e) => Number(e.id));
    const expected = Array.from({ length: total }, (_, i) => i);
    assert.deepEqual(indices(all), expected, 'every segment once, in order, for the client there from the start');
    assert.deepEqual([...indices(firstPart), ...indices(rest)], expected, 'no gap and no repeat across the reconnect');
    // Payloads match across the two clients, and ids equal the data's index.
    for (const e of [...firstPart, ...rest].filter((x) => x.event === 'segment')) {
      const same = all.find((x) => x.event === 'segment' && x.id === e.id)!;
      assert.equal(e.data, same.data);
      assert.equal(JSON.parse(e.data).index, Number(e.id));
    }
    // Progress events never carry an id (they must not move the resume point).
    assert.ok(all.filter((e) => e.event === 'progress').every((e) => e.id === null));
    // The transcript is served in every format.
    for (const format of ['txt', 'json', 'verbose_json', 'srt', 'vtt', 'md']) {
      const response = await fetch(`${server.url}/v1/jobs/${body.id}/transcript?format=${format}`, { headers });
      assert.equal(response.status, 200, format);
      assert.match(await response.text(), /general public license/i, format);
    }
  });
});
