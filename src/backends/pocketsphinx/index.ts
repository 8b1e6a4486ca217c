/**
 * pocketsphinx backend: Debian's `pocketsphinx_continuous` as a subprocess per segment, given a
 * 16 kHz mono WAV of the segment (a temp file). The zero-download
 * default. Each run loads the model (~0.6 s), so every segment is a cold start.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { runTool } from '../../audio/process.js';
import { ParascribeError } from '../../errors.js';
import type { SegmentAudio } from '../../audio/segment-audio.js';
import type { BackendFactory, BackendWarning, RecordingContext, TranscribeRequest, TranscribeResult, TranscriptionBackend } from '../spec.js';
import type { LatencyPrior } from '../../plan/latency/prior.js';
import { calibratedModelDir, measureCmn } from './calibrate.js';
import { parsePocketsphinxOutput } from './parse.js';
import { pocketsphinxPrior } from './priors.js';

export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
/** The acoustic model inside it (pocketsphinx's built-in default -hmm). */
const DEFAULT_HMM_DIR = join(DEFAULT_MODEL_DIR, 'en-us');

export const pocketsphinxSettingsSchema = z
  .object({
    binary: z.string().min(1).default('pocketsphinx_continuous'),
    /** Acoustic model directory; default: the pocketsphinx-en-us package's. */
    hmm: z.string().min(1).optional(),
    /** Language model and dictionary; default: the package's en-us ones. */
    lm: z.string().min(1).optional(),
    dict: z.string().min(1).optional(),
    /** The language of the configured model. */
    language: z.string().min(2).default('en'),
    /** Extra decoder flags, e.g. ["-beam", "1e-60"]; part of the cache key. */
    extraArgs: z.array(z.string()).default([]),
    /** Calibrate feature normalisation on a sample of each recording (see calibrate.ts). */
    calibrate: z.boolean().default(true),
    /** Length of that sample. */
    calibrationSampleSec: z.number().positive().max(120).default(20),
  })
  .strict();

export type PocketsphinxSettings = z.infer<typeof pocketsphinxSettingsSchema>;

class PocketsphinxBackend implements TranscriptionBackend {
  readonly id: string;
  readonly model: string;
  readonly capabilities;
  readonly fingerprint: Record<string, unknown>;
  readonly #settings: PocketsphinxSettings;

  constructor(settings: PocketsphinxSettings, id = 'pocketsphinx') {
    this.id = id;
    this.#settings = settings;
    this.model = settings.hmm ? basename(settings.hmm) : 'en-us';
    this.capabilities = { wordTimestamps: true, languages: [settings.language], costPerAudioMinuteUsd: 0 } as const;
    this.fingerprint = {
      hmm: settings.hmm ?? null,
      lm: settings.lm ?? null,
      dict: settings.dict ?? null,
      extraArgs: settings.extraArgs,
      calibration: settings.calibrate ? settings.calibrationSampleSec : false,
    };
  }

  /** Measured on this project's machine (priors.ts): one process per segment, one per core. */
  latencyPrior(): LatencyPrior {
    return pocketsphinxPrior({ calibrationSampleSec: this.#settings.calibrate ? this.#settings.calibrationSampleSec : 0 });
  }

  async check(signal: AbortSignal): Promise<void> {
    const result = await runTool(this.#settings.binary, [], { signal, timeoutMs: 15_000 });
    void result; // it exits non-zero without -infile; only a missing binary throws (TOOL_MISSING)
    if (!this.#settings.hmm) {
      await access(DEFAULT_MODEL_DIR).catch(() => {
        throw new ParascribeError(
          'BACKEND_UNAVAILABLE',
          `pocketsphinx model not found at ${DEFAULT_MODEL_DIR} (install it: apt-get install pocketsphinx-en-us)`,
        );
      });
    }
  }

  /** Decodes a sample from a tenth into the recording and returns the adapted CMN. */
  async prepareRecording(sample: SegmentAudio, signal: AbortSignal): Promise<RecordingContext> {
    if (!this.#settings.calibrate) return {};
    const dir = await mkdtemp(join(tmpdir(), 'parascribe-ps-'));
    try {
      const wavPath = join(dir, 'sample.wav');
      await sample.writeWav(wavPath, signal);
      const cmninit = await measureCmn(this.#settings.binary, wavPath, this.#modelArgs(this.#settings.hmm), signal);
      return cmninit ? { cmninit } : {};
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #modelArgs(hmm: string | undefined): string[] {
    const { lm, dict } = this.#settings;
    return [...(hmm ? ['-hmm', hmm] : []), ...(lm ? ['-lm', lm] : []), ...(dict ? ['-dict', dict] : [])];
  }

  async transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    const warnings: BackendWarning[] = [];
    const language = request.language?.toLowerCase().split('-')[0];
    if (language && language !== this.#settings.language) {
      throw new ParascribeError(
        'UNSUPPORTED_LANGUAGE',
        `pocketsphinx is configured for "${this.#settings.language}", not "${request.language}" (set backends.pocketsphinx.hmm/lm/dict to a model for it)`,
      );
    }
    if (request.prompt) warnings.push({ type: 'unsupported-option', message: 'pocketsphinx ignores the prompt' });
    for (const key of Object.keys(request.options ?? {})) {
      warnings.push({ type: 'unsupported-option', message: `pocketsphinx ignores option "${key}"` });
    }
    // Node's child stdin is a socket, which pocketsphinx cannot open as /dev/stdin: hand it a file.
    const dir = await mkdtemp(join(tmpdir(), 'parascribe-ps-'));
    try {
      const wavPath = join(dir, 'segment.wav');
      await request.audio.writeWav(wavPath, request.signal);
      return await this.#decode(wavPath, request, warnings);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #decode(wavPath: string, request: TranscribeRequest, warnings: BackendWarning[]): Promise<TranscribeResult> {
    const cmninit = typeof request.recording?.cmninit === 'string' ? request.recording.cmninit : undefined;
    const baseHmm = this.#settings.hmm ?? DEFAULT_HMM_DIR;
    const hmm = cmninit ? await calibratedModelDir(baseHmm, cmninit) : this.#settings.hmm;
    const args = ['-infile', wavPath, '-time', 'yes', '-logfn', '/dev/null', ...this.#modelArgs(hmm), ...this.#settings.extraArgs];
    // Generous: pocketsphinx runs at ~0.25 CPU-s per audio-s; a stuck decoder is killed.
    const timeoutMs = 60_000 + request.audio.durationSec * 3_000;
    const result = await runTool(this.#settings.binary, args, { signal: request.signal, timeoutMs });
    if (result.exitCode !== 0) {
      const reason = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
      throw new ParascribeError('BACKEND_FAILED', `pocketsphinx failed (${reason})${result.stderr ? `: ${result.stderr.trim().split('\n').at(-1)}` : ''}`);
    }
    const utterances = parsePocketsphinxOutput(result.stdout);
    return {
      text: utterances.map((u) => u.text).join(' '),
      language: this.#settings.language,
      utterances,
      computeSec: result.wallMs / 1000,
      coldStart: true,
      warnings,
    };
  }
}

export const pocketsphinxFactory: BackendFactory<typeof pocketsphinxSettingsSchema> = {
  id: 'pocketsphinx',
  description: 'CMU pocketsphinx (Debian package), one subprocess per segment; English model included',
  settingsSchema: pocketsphinxSettingsSchema,
  create: (settings, instanceId) => new PocketsphinxBackend(settings, instanceId),
};

export function createPocketsphinx(settings: Partial<PocketsphinxSettings> = {}): TranscriptionBackend {
  return pocketsphinxFactory.create(pocketsphinxSettingsSchema.parse(settings));
}
