/**
 * Settings of the `whispercpp` backend type: whisper.cpp in-process through `@fugood/whisper.node`,
 * run in warm child processes. The model path may come from the environment; it is read when a
 * backend is created (through an injectable `env`), never at module load.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { ParascribeError } from '../../errors.js';
import { DEFAULT_WHISPER_MODEL } from '../../models/catalogue.js';
import type { BackendContext } from '../spec.js';

export const MODEL_ENV = 'PARASCRIBE_WHISPERCPP_MODEL';

export const whispercppSettingsSchema = z
  .object({
    /**
     * A whisper.cpp ggml model file, e.g. ggml-base.en.bin. Falls back to $PARASCRIBE_WHISPERCPP_MODEL,
     * then to `model` in the model store.
     */
    modelPath: z.string().min(1).optional(),
    /** A model pulled with `parascribe models pull <name>` (default base.en); used when no modelPath is set. */
    model: z.string().min(1).optional(),
    /** CPU threads per inference (whisper.cpp n_threads); about cores / concurrency. */
    threads: z.number().int().min(1).max(256).default(2),
    /** Offload to a GPU through the `gpuLibrary` build of the binding (falls back to CPU with a warning). */
    useGpu: z.boolean().default(false),
    gpuLibrary: z.enum(['cuda', 'vulkan']).default('cuda'),
    /** Silero VAD model (ggml) for whisper.cpp: silent stretches are cut out before inference. */
    vadModelPath: z.string().min(1).optional(),
    /** A pulled VAD model by name (`parascribe models pull silero-v6.2.0`), when no vadModelPath is set. */
    vadModel: z.string().min(1).optional(),
    /** whisper.cpp VAD parameters; unset ones keep whisper.cpp's defaults. */
    vad: z
      .object({
        threshold: z.number().min(0).max(1).optional(),
        minSpeechDurationMs: z.number().int().min(0).optional(),
        minSilenceDurationMs: z.number().int().min(0).optional(),
        speechPadMs: z.number().int().min(0).optional(),
      })
      .strict()
      .default({}),
    /** ISO-639-1 code, or 'auto' (detect per segment). English-only models (*.en.bin) always use 'en'. */
    language: z.string().min(2).default('auto'),
    /** Translate into English instead of transcribing. */
    translate: z.boolean().default(false),
    /**
     * Word times from whisper.cpp's token timestamps (one token per segment, regrouped into words and
     * utterances). Experimental: utterances then follow punctuation and pauses, not whisper's segments.
     */
    wordTimestamps: z.boolean().default(false),
    /** Warm processes kept, each holding the model in memory; one request at a time per process. */
    maxWorkers: z.number().int().min(1).max(64).default(1),
    /** Backstop per request (model load included); default 300 s + 10 × the segment's length. */
    timeoutSec: z.number().positive().max(86_400).optional(),
  })
  .strict();

export type WhisperCppSettings = z.infer<typeof whispercppSettingsSchema>;
export type WhisperCppSettingsInput = z.input<typeof whispercppSettingsSchema>;
export type Env = Readonly<Record<string, string | undefined>>;

/** Settings after the environment filled in the model, which is known to be a file. */
export interface ResolvedWhisperCppSettings extends Omit<WhisperCppSettings, 'model'> {
  modelPath: string;
  modelFile: { sizeBytes: number; mtimeMs: number };
}

export const MODEL_HINT =
  `pull one with \`parascribe models pull ${DEFAULT_WHISPER_MODEL}\` (the default model; \`parascribe models list\` shows the others), ` +
  'or get a ggml model yourself, e.g. with whisper.cpp\'s `models/download-ggml-model.sh base.en` or a ggml-*.bin file from ' +
  'https://huggingface.co/ggerganov/whisper.cpp, and set backends.whispercpp.modelPath in the config file ' +
  `or ${MODEL_ENV} in the environment`;

export function modelFileProblem(path: string): string | undefined {
  try {
    const info = statSync(path);
    return info.isFile() ? undefined : 'is not a regular file';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
  }
}

/** A model by name from the store, or BACKEND_UNAVAILABLE saying how to pull it. */
function pulled(models: NonNullable<BackendContext['models']>, name: string, instanceId: string, what: string): string {
  const path = models.installedPath(name);
  if (path) return path;
  throw new ParascribeError('BACKEND_UNAVAILABLE', `backend "${instanceId}": ${what} "${name}" is not in the model store ${models.dir} (pull it: \`parascribe models pull ${name}\`; or set backends.${instanceId}.modelPath / ${MODEL_ENV})`, {
    details: { backend: instanceId },
  });
}

export function resolveSettings(settings: WhisperCppSettings, env: Env, instanceId: string, models?: BackendContext['models']): ResolvedWhisperCppSettings {
  let modelPath = settings.modelPath ?? env[MODEL_ENV]?.trim();
  if (!modelPath && models) modelPath = pulled(models, settings.model ?? DEFAULT_WHISPER_MODEL, instanceId, 'whisper.cpp model');
  if (!modelPath) {
    throw new ParascribeError('INVALID_CONFIG', `backend "${instanceId}": no whisper.cpp model configured (${MODEL_HINT})`, {
      details: { backend: instanceId },
    });
  }
  const problem = modelFileProblem(modelPath);
  if (problem) {
    throw new ParascribeError('BACKEND_UNAVAILABLE', `backend "${instanceId}": whisper.cpp model ${modelPath} ${problem} (${MODEL_HINT})`, {
      details: { backend: instanceId },
    });
  }
  if (!settings.vadModelPath && settings.vadModel) {
    if (!models) throw new ParascribeError('INVALID_CONFIG', `backend "${instanceId}": vadModel needs the model store; set vadModelPath instead`);
    settings = { ...settings, vadModelPath: pulled(models, settings.vadModel, instanceId, 'VAD model') };
  }
  if (settings.vadModelPath) {
    const vadProblem = modelFileProblem(settings.vadModelPath);
    if (vadProblem) {
      throw new ParascribeError(
        'BACKEND_UNAVAILABLE',
        `backend "${instanceId}": VAD model ${settings.vadModelPath} ${vadProblem} (\`parascribe models pull silero-v6.2.0\` and set vadModel, or get ggml-silero-v6.2.0.bin from https://huggingface.co/ggml-org/whisper-vad)`,
      );
    }
  }
  const info = statSync(modelPath);
  const { model: _name, ...rest } = settings;
  return { ...rest, modelPath, modelFile: { sizeBytes: info.size, mtimeMs: Math.round(info.mtimeMs) } };
}

/** whisper.cpp's English-only models are named *.en.bin (ggml-base.en.bin, ggml-tiny.en-q5_1.bin...). */
export function isEnglishOnlyModel(modelPath: string): boolean {
  return /\.en([-_.]|$)/i.test(basename(modelPath).replace(/\.bin$/i, ''));
}
