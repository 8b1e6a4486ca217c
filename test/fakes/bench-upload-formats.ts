/**
 * Measures the `openai` backend's upload formats through the FAKE server (real pocketsphinx behind
 * it): bytes, encode time and WER for wav, flac and opus at several bit rates.
 *
 *   node --import tsx test/fakes/bench-upload-formats.ts [--input gpl-preamble.mp3] [--from 60] [--seconds 60]
 *
 * Two numbers per format: WER of one 60 s segment against the wav upload's transcript (what the
 * lossy step costs), and WER of the whole file, cut into 60 s segments, against the reference text.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeToPcmFile } from '../../src/audio/decode.js';
import { probeAudio } from '../../src/audio/probe.js';
import { spawnBound } from '../../src/audio/process.js';
import { sliceSegment, type SegmentAudio } from '../../src/audio/segment-audio.js';
import { encodeSegment, type EncodedUpload } from '../../src/backends/openai/encode.js';
import { wordErrorRate } from '../../src/eval/wer.js';
import { FIXTURES } from '../helpers/cli.js';
import { startFakeOpenAIServer } from './openai-server.js';

const { values } = parseArgs({
  options: {
    input: { type: 'string', default: join(FIXTURES, 'gpl-preamble.mp3') },
    reference: { type: 'string', default: join(FIXTURES, 'gpl-preamble.txt') },
    from: { type: 'string', default: '60' },
    seconds: { type: 'string', default: '60' },
    'skip-full': { type: 'boolean', default: false },
  },
});

type Variant = { name: string; encode: (audio: SegmentAudio) => Promise<EncodedUpload> };

async function opusAt(audio: SegmentAudio, bitrate: string): Promise<EncodedUpload> {
  const started = performance.now();
  const args = ['-v', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', 'pipe:0', '-c:a', 'libopus', '-b:a', bitrate, '-application', 'voip', '-f', 'ogg', 'pipe:1'];
  const { child, done } = spawnBound('ffmpeg', args, { stdio: ['pipe', 'pipe', 'ignore'] });
  audio.openPcm().pipe(child.stdin!);
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout!) chunks.push(chunk as Buffer);
  await done;
  return { bytes: Buffer.concat(chunks), filename: 'segment.ogg', contentType: 'audio/ogg', encodeMs: performance.now() - started };
}

const signal = new AbortController().signal;
const VARIANTS: Variant[] = [
  { name: 'wav (s16, 16 kHz)', encode: (a) => encodeSegment(a, 'wav', signal) },
  { name: 'flac', encode: (a) => encodeSegment(a, 'flac', signal) },
  { name: 'opus 32 kbit/s', encode: (a) => opusAt(a, '32k') },
  { name: 'opus 24 kbit/s', encode: (a) => encodeSegment(a, 'opus', signal) },
  { name: 'opus 16 kbit/s', encode: (a) => opusAt(a, '16k') },
  { name: 'opus 12 kbit/s', encode: (a) => opusAt(a, '12k') },
];

async function post(url: string, upload: EncodedUpload): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([upload.bytes as Uint8Array<ArrayBuffer>], { type: upload.contentType }), upload.filename);
  form.append('model', 'whisper-1');
  form.append('response_format', 'json');
  const response = await fetch(`${url}/audio/transcriptions`, { method: 'POST', body: form });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { text: string }).text;
}

/** Runs fn over items, two at a time (the machine has two cores). */
async function twoAtATime<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-upload-'));
const server = await startFakeOpenAIServer({ cache: false });
try {
  const info = await probeAudio(values.input);
  const { pcmPath, durationSec } = await decodeToPcmFile(info, join(dir, 'input.pcm'));
  const from = Number(values.from);
  const segment = sliceSegment(pcmPath, from, Math.min(durationSec, from + Number(values.seconds)));
  const encoded = [];
  for (const variant of VARIANTS) encoded.push({ variant, upload: await variant.encode(segment) });
  const texts = await twoAtATime(encoded, ({ upload }) => post(server.url, upload));
  const wavText = texts[0]!;
  const reference = values['skip-full'] ? '' : (await readFile(values.reference, 'utf8')).trim();
  const pieces: SegmentAudio[] = [];
  for (let start = 0; start < durationSec; start += 60) pieces.push(sliceSegment(pcmPath, start, Math.min(durationSec, start + 60)));
  console.log(`segment ${from}-${from + segment.durationSec} s of ${values.input} (${durationSec.toFixed(1)} s in all)\n`);
  console.log('| format | bytes (60 s) | kbit/s | vs wav | encode ms | WER vs wav transcript (60 s) | WER vs reference (whole file, 60 s segments) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const wavBytes = encoded[0]!.upload.bytes.length;
  for (const [i, { variant, upload }] of encoded.entries()) {
    let full = 'n/a';
    if (!values['skip-full']) {
      const uploads = await Promise.all(pieces.map((p) => variant.encode(p)));
      const hyps = await twoAtATime(uploads, (u) => post(server.url, u));
      full = `${(wordErrorRate(reference, hyps.join(' ')).wer * 100).toFixed(1)} %`;
    }
    const kbps = (upload.bytes.length * 8) / 1000 / segment.durationSec;
    const wer = wordErrorRate(wavText, texts[i]!).wer;
    console.log(
      `| ${variant.name} | ${upload.bytes.length.toLocaleString('en')} | ${kbps.toFixed(1)} | ${((upload.bytes.length / wavBytes) * 100).toFixed(1)} % | ${Math.round(upload.encodeMs)} | ${(wer * 100).toFixed(1)} % | ${full} |`,
    );
  }
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
