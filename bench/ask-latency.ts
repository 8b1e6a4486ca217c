/**
 * Ask while it transcribes (issue 14): submit a 62-minute file to the HTTP service and ask about it at
 * once. How long until the first token of an answer (over the finished prefix of the transcript), and
 * how long until the whole transcript exists (and an answer over all of it)?
 *
 * Everything runs in this process: `serve`'s Hono app behind a real socket (upload, then
 * POST /v1/jobs/:id/ask read as SSE), the openai backend against the FAKE OpenAI server running the
 * SIMULATED scale-to-zero endpoint with the seed study's fitted parameters (bench/lib-seed.ts SEED_SIM:
 * k = 4, cold starts lognormal median 15 s, 17 s per request), scaled to zero before each run, and the
 * FAKE chat server as the LLM (a fixed time to first token, then chunks). Transcript text is synthetic
 * (the benchmark is about latency, not about what is said): each upload is answered with one utterance
 * every 10 s, some of them about a budget.
 *
 * Modes: `default` (360 s segments) and `first-words` (a 20 s first segment, docs/planning.md).
 *
 *   node --import tsx bench/ask-latency.ts [--runs 2] [--modes default,first-words] [--file mp3|wav] [--ttft-ms 400] [--record]
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { openRuntime } from '../src/runtime.js';
import { createApp } from '../src/server/app.js';
import { listen } from '../src/server/listen.js';
import { TranscriptionService } from '../src/service/service.js';
import { startFakeChatServer } from '../test/fakes/fake-chat-server.js';
import { startFakeOpenAIServer } from '../test/fakes/openai-server.js';
import { WORK_DIR, die, ensureLongAudio, fmt, markdownTable, median, positiveNumber, recordResults, requireTools } from './lib.js';
import { SEED_SIM } from './lib-seed.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    modes: { type: 'string', default: 'default,first-words' },
    file: { type: 'string', default: 'mp3' },
    'ttft-ms': { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
const USAGE = 'node --import tsx bench/ask-latency.ts [--runs 2] [--modes default,first-words] [--file mp3|wav] [--ttft-ms 400] [--record]';
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const runs = positiveNumber(values.runs, '--runs', 2);
const ttftMs = positiveNumber(values['ttft-ms'], '--ttft-ms', 400);
const modes = values.modes.split(',').map((m) => m.trim());
if (modes.some((m) => m !== 'default' && m !== 'first-words')) die(`--modes takes default and/or first-words, got '${values.modes}'`);
if (values.file !== 'mp3' && values.file !== 'wav') die(`--file takes mp3 or wav, got '${values.file}'`);
requireTools('ffmpeg', 'ffprobe');

const KEY = 'bench-ask-key-0123456789';
const QUESTION = 'What did they decide about the budget?';
const WINDOW = 8192;

/** Audio seconds of a FLAC upload, from STREAMINFO. */
function flacAudioSec(bytes: Uint8Array): number {
  if (bytes.length < 42 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'fLaC') return 0;
  const rate = (bytes[18]! << 12) | (bytes[19]! << 4) | (bytes[20]! >> 4);
  const samples = (bytes[21]! & 0x0f) * 2 ** 32 + ((bytes[22]! << 24) >>> 0) + (bytes[23]! << 16) + (bytes[24]! << 8) + bytes[25]!;
  return rate > 0 ? samples / rate : 0;
}

/** Synthetic text: one utterance every 10 s; about one in seven mentions the budget. */
async function syntheticTranscript(bytes: Uint8Array) {
  const audioSec = flacAudioSec(bytes);
  const digest = createHash('sha256').update(bytes).digest();
  const utterances = [];
  for (let at = 0, i = 0; at + 8 <= audioSec; at += 10, i++) {
    const topic = (digest[i % digest.length]! + i) % 7 === 0 ? 'the budget for travel was cut by a third' : `item ${i} of the agenda was discussed and moved on`;
    utterances.push({ startSec: at, endSec: at + 8, text: `${topic}, said speaker ${(digest[(i + 1) % digest.length]! % 4) + 1}`, words: [] });
  }
  return { durationSec: audioSec, utterances };
}

const speech = await startFakeOpenAIServer({ seed: 1, serverless: SEED_SIM, transcriber: syntheticTranscript });
const chat = await startFakeChatServer({ contextTokens: WINDOW, firstTokenDelayMs: ttftMs, chunkDelayMs: 15 });
const { audio } = ensureLongAudio(`long-3600.${values.file}`, 3600);
const upload = readFileSync(audio);

interface Sample {
  /** Seconds from the start of the upload. */
  acceptedSec: number;
  firstSegmentSec: number;
  contextSec: number;
  firstAnswerTokenSec: number;
  answerDoneSec: number;
  coveredSec: number;
  totalSec: number;
  strategy: string;
  fullTranscriptSec: number;
  /** The same question once the job is done: from its asking to its first token, and its strategy. */
  fullAskFirstTokenSec: number;
  fullStrategy: string;
  segments: number;
}

/** Reads the answer's SSE stream; times are seconds since t0, measured here (the client's view). */
async function readAsk(response: Response, t0: number): Promise<{ contextAt: number; firstModelTokenAt: number; doneAt: number; done: Record<string, any> }> {
  if (response.status !== 200) throw new Error(`ask: HTTP ${response.status}: ${await response.text()}`);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let contextAt = Number.NaN;
  let text = '';
  const deltas: Array<{ at: number; end: number }> = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('ask: the stream ended without a done event');
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      const at = (performance.now() - t0) / 1000;
      if (event === 'context') contextAt = at;
      if (event === 'delta') {
        text += (JSON.parse(data!) as { text: string }).text;
        deltas.push({ at, end: text.length });
      }
      if (event === 'error') throw new Error(`ask: ${data}`);
      if (event === 'done') {
        const result = JSON.parse(data!) as Record<string, any>;
        // The service's own coverage line streams first; the model's first token is the first delta past it.
        const note = result.coverage.note as string | null;
        const prefix = note ? `${note[0]!.toUpperCase()}${note.slice(1)}.\n\n`.length : 0;
        return { contextAt, firstModelTokenAt: deltas.find((d) => d.end > prefix)?.at ?? Number.NaN, doneAt: at, done: result };
      }
    }
  }
}

async function measure(mode: string): Promise<Sample> {
  const dataDir = path.join(WORK_DIR, `data-ask-latency-${mode}`);
  rmSync(dataDir, { recursive: true, force: true });
  const config = configSchema.parse({
    dataDir,
    backend: 'openai',
    segmentSec: 360,
    concurrency: 8,
    cache: false,
    backends: { openai: { baseURL: speech.url, apiKey: 'bench-key-0123456789', maxConcurrentRequests: 8, uploadFormat: 'flac', timeoutSec: 600 } },
    ...(mode === 'first-words' ? { firstWords: { enabled: true, segmentSec: 20 } } : {}),
    serve: { apiKeys: [KEY], rateLimit: { requestsPerSec: 1e6, burst: 1e6 } },
    llm: { baseURL: chat.url, model: 'fake-chat-1', contextTokens: WINDOW, maxAnswerTokens: 512 },
  });
  const runtime = await openRuntime(config, { role: 'server' });
  const service = new TranscriptionService({ runtime });
  const listening = await listen(createApp(service), { host: '127.0.0.1', port: 0, requestTimeoutSec: 600 });
  service.setPublicUrl(listening.url);
  await service.start();
  speech.serverless!.scaleToZero();
  const headers = { authorization: `Bearer ${KEY}` };
  const ask = (id: string) => fetch(`${listening.url}/v1/jobs/${id}/ask`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ question: QUESTION }) });
  try {
    const t0 = performance.now();
    const t0Epoch = Date.now() / 1000;
    const form = new FormData();
    form.set('file', new Blob([upload]), path.basename(audio));
    const submitted = await fetch(`${listening.url}/v1/jobs`, { method: 'POST', headers, body: form });
    if (submitted.status !== 202) throw new Error(`submit: HTTP ${submitted.status}: ${await submitted.text()}`);
    const acceptedSec = (performance.now() - t0) / 1000;
    const { id } = (await submitted.json()) as { id: string };
    const ended = service.waitForEnd(id).then((row) => ({ row, at: (performance.now() - t0) / 1000 }));
    const early = await readAsk(await ask(id), t0);
    const { row, at: fullTranscriptSec } = await ended;
    if (row.status !== 'completed') throw new Error(`job ${id} ended ${row.status}: ${row.error}`);
    const askedAgain = performance.now();
    const late = await readAsk(await ask(id), askedAgain);
    const segments = await runtime.store.listSegments(id);
    return {
      acceptedSec,
      firstSegmentSec: segments[0]!.completed_at! - t0Epoch,
      contextSec: early.contextAt,
      firstAnswerTokenSec: early.firstModelTokenAt,
      answerDoneSec: early.doneAt,
      coveredSec: early.done.coverage.to_sec,
      totalSec: early.done.coverage.total_sec,
      strategy: early.done.strategy,
      fullTranscriptSec,
      fullAskFirstTokenSec: late.firstModelTokenAt,
      fullStrategy: late.done.strategy,
      segments: segments.length,
    };
  } finally {
    await listening.close();
    await service.stop();
    await runtime.close();
  }
}

const clock = (sec: number) => {
  const whole = Math.round(sec);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
};
const rows: Array<Array<string | number>> = [];
const notes: string[] = [];
const samples: Record<string, Sample[]> = {};
try {
  for (let run = 0; run < runs; run++) {
    for (const mode of run % 2 === 0 ? modes : [...modes].reverse()) {
      const s = await measure(mode);
      process.stderr.write(
        `${mode} run ${run + 1}: accepted ${fmt(s.acceptedSec)} s, first segment ${fmt(s.firstSegmentSec)} s, first answer token ${fmt(s.firstAnswerTokenSec)} s (covers ${clock(s.coveredSec)} of ${clock(s.totalSec)}, ${s.strategy}), full transcript ${fmt(s.fullTranscriptSec)} s, then first token ${fmt(s.fullAskFirstTokenSec)} s (${s.fullStrategy})\n`,
      );
      (samples[mode] ??= []).push(s);
    }
  }
} finally {
  await speech.close();
  await chat.close();
}

for (const mode of modes) {
  const list = samples[mode] ?? [];
  const m = (pick: (s: Sample) => number) => median(list.map(pick));
  rows.push([
    mode,
    list[0]?.segments ?? '-',
    fmt(m((s) => s.acceptedSec)),
    fmt(m((s) => s.firstSegmentSec)),
    fmt(m((s) => s.firstAnswerTokenSec)),
    `${clock(m((s) => s.coveredSec))} of ${clock(m((s) => s.totalSec))}`,
    list[0]?.strategy ?? '-',
    fmt(m((s) => s.answerDoneSec)),
    fmt(m((s) => s.fullTranscriptSec)),
    fmt(m((s) => s.fullTranscriptSec + s.fullAskFirstTokenSec)),
    list[0]?.fullStrategy ?? '-',
  ]);
  notes.push(`- ${mode}: the first answer token came ${fmt(m((s) => s.fullTranscriptSec) / m((s) => s.firstAnswerTokenSec), 1)}× sooner than the full transcript (medians)`);
}
const table = markdownTable(
  ['mode', 'segments', 'upload accepted s', 'first segment done s', 'first answer token s', 'answer covers', 'strategy', 'answer done s', 'full transcript s', 'first token over the full transcript s', 'strategy (full)'],
  rows,
);
const body = [
  table,
  '',
  ...notes,
  `- ${runs} run(s) per mode, alternating; medians. Every time is seconds from the start of the upload (POST /v1/jobs, ${(upload.length / 1e6).toFixed(0)} MB ${path.basename(audio)}); the question is asked as soon as the 202 arrives and waits in the service for the first finished segment`,
  `- "first answer token": the model's first token, after the service's own coverage line ("Covers 0:00–18:00 of 62:06 (still transcribing)."), which streams as soon as the context is chosen; "first token over the full transcript": the same question asked again when the job completed`,
  `- transcription: backend openai (FLAC uploads, 8 requests at most) → FAKE OpenAI server on the SIMULATED endpoint with the seed study's fitted parameters (k = ${SEED_SIM.maxContainers}, cold start lognormal median 15 s σ 0.8, ${SEED_SIM.rttSec} s per request, RTF ${SEED_SIM.rtf}), scaled to zero before each run; synthetic text; --no-cache`,
  `- LLM: FAKE chat server (first token after ${ttftMs} ms, then 2 words per 15 ms), window ${WINDOW} tokens, 512 for the answer; "${QUESTION}"`,
  `- command: \`node --import tsx bench/ask-latency.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\``,
].join('\n');
console.log(body);
if (values.record) recordResults('ask while it transcribes: time to first answer token vs full transcript (bench/ask-latency.ts)', body);
