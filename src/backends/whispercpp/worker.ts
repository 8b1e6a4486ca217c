/**
 * The child side of the whisper.cpp backend, started by pool.ts with an IPC channel. It loads the
 * binding and the model once (`init`), then serves one `transcribe` at a time. The binding's own
 * stop() does not stop the work, so the parent cancels by killing this process.
 */
import { createRequire } from 'node:module';
import { composeSpeech, planSpeech, segmentsToUtterances, SAMPLE_RATE, toSourceSec, tokensToUtterances, type RawSegment } from './convert.js';
import type { FromWorker, InitMessage, JobMessage, SpeechInfo, ToWorker } from './protocol.js';

/** The part of `@fugood/whisper.node` used here (typed locally: the package is optional). */
interface WhisperContext {
  transcribeData(audio: ArrayBuffer, options: Record<string, unknown>): { stop(): Promise<void>; promise: Promise<{ language?: string; segments: RawSegment[] }> };
}
interface VadContext {
  detectSpeechData(audio: ArrayBuffer, options: Record<string, unknown>): Promise<Array<{ t0: number; t1: number }>>;
}
interface Binding {
  initWhisper(options: { filePath: string; useGpu: boolean }, library?: string): Promise<WhisperContext>;
  initWhisperVad(options: { filePath: string; useGpu: boolean; nThreads: number }, library?: string): Promise<VadContext>;
}

export const BINDING_PACKAGE = '@fugood/whisper.node';

const send = (message: FromWorker): Promise<void> =>
  new Promise((resolve) => {
    process.send!(message, undefined, {}, () => resolve());
  });

/** A worker that could not load has nothing to serve: report, then exit (the parent sees it close). */
async function fail(stage: 'binding' | 'model' | 'vad-model', message: string): Promise<undefined> {
  await send({ type: 'load-failed', stage, message });
  process.exit(1);
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function arrayBufferOf(view: Uint8Array | Int16Array): ArrayBuffer {
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer;
}

/** Picks the binding build: a GPU build only if its native module actually loads (CUDA needs libcudart 12). */
function chooseLibrary(init: InitMessage, warnings: string[]): string {
  if (!init.useGpu) return 'default';
  const require = createRequire(createRequire(import.meta.url).resolve(BINDING_PACKAGE));
  const name = `@fugood/node-whisper-${process.platform}-${process.arch}-${init.gpuLibrary}`;
  try {
    require(name);
    return init.gpuLibrary;
  } catch (error) {
    warnings.push(`${name} cannot be loaded (${errorMessage(error).split('\n')[0]}); running on the CPU`);
    return 'default';
  }
}

interface Loaded {
  whisper: WhisperContext;
  vad?: VadContext;
}

async function load(init: InitMessage): Promise<Loaded | undefined> {
  const started = performance.now();
  let binding: Binding;
  try {
    const imported = (await import(BINDING_PACKAGE)) as Binding & { default?: Binding };
    binding = typeof imported.initWhisper === 'function' ? imported : imported.default!;
  } catch (error) {
    return fail('binding', `${BINDING_PACKAGE} cannot be loaded (install it: npm install ${BINDING_PACKAGE}): ${errorMessage(error)}`);
  }
  const warnings: string[] = [];
  const library = chooseLibrary(init, warnings);
  let whisper: WhisperContext;
  try {
    whisper = await binding.initWhisper({ filePath: init.modelPath, useGpu: init.useGpu }, library);
  } catch (error) {
    return fail('model', errorMessage(error));
  }
  let vad: VadContext | undefined;
  if (init.vadModelPath) {
    try {
      vad = await binding.initWhisperVad({ filePath: init.vadModelPath, useGpu: init.useGpu, nThreads: init.threads }, library);
    } catch (error) {
      return fail('vad-model', errorMessage(error));
    }
  }
  await send({ type: 'ready', loadMs: performance.now() - started, library, warnings });
  return vad ? { whisper, vad } : { whisper };
}

async function transcribe(loaded: Loaded, job: JobMessage): Promise<void> {
  const started = performance.now();
  const pcm = new Int16Array(arrayBufferOf(job.pcm));
  const durationSec = pcm.length / SAMPLE_RATE;
  let audio: Int16Array = pcm;
  let map = (sec: number): number => sec;
  let speech: SpeechInfo | undefined;
  if (loaded.vad && pcm.length > 0) {
    const found = await loaded.vad.detectSpeechData(arrayBufferOf(pcm), { ...job.vad });
    // VAD regions come back in whisper.cpp's 10 ms units.
    const regions = found.map((r): [number, number] => [r.t0 / 100, r.t1 / 100]);
    const plan = planSpeech(regions, durationSec);
    audio = composeSpeech(pcm, plan);
    map = (sec) => toSourceSec(plan, sec);
    speech = { regions, inferenceSec: plan.totalSec };
  }
  let language: string | undefined;
  let segments: RawSegment[] = [];
  if (audio.length > 0) {
    const options: Record<string, unknown> = { language: job.language, translate: job.translate, maxThreads: job.threads };
    if (job.prompt) options.prompt = job.prompt;
    if (job.wordTimestamps) Object.assign(options, { tokenTimestamps: true, maxLen: 1 });
    const result = await loaded.whisper.transcribeData(arrayBufferOf(audio), options).promise;
    segments = result.segments;
    language = result.language || undefined;
  }
  const utterances = job.wordTimestamps ? tokensToUtterances(segments, durationSec, map) : segmentsToUtterances(segments, durationSec, map);
  await send({
    type: 'result',
    id: job.id,
    computeMs: performance.now() - started,
    utterances,
    ...(language ? { language } : {}),
    ...(speech ? { speech } : {}),
  });
}

function main(): void {
  if (!process.send) {
    console.error('whispercpp worker: start me with an IPC channel (child_process.fork)');
    process.exit(2);
  }
  // The parent went away (crash, kill -9): nothing left to serve. process.exit() would wait for a
  // running inference (the addon's cleanup joins it), so the worker kills itself.
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  let loaded: Promise<Loaded | undefined> | undefined;
  process.on('message', (message: ToWorker) => {
    if (message.type === 'init') {
      loaded ??= load(message);
      return;
    }
    void (async () => {
      const ready = await loaded;
      if (!ready) return;
      try {
        await transcribe(ready, message);
      } catch (error) {
        await send({ type: 'failed', id: message.id, message: errorMessage(error) });
      }
    })();
  });
}

main();
