/**
 * `parascribe models`: where whisper.cpp model files come from and how a pull behaves
 * (src/models/, docs/models.md). The files go to `<dataDir>/models/`.
 */
import { z } from 'zod';

export const modelsSchema = z
  .object({
    /**
     * A mirror of the model host (also PARASCRIBE_MODELS_URL): files are fetched from
     * `<baseUrl>/<file>`, e.g. `<baseUrl>/ggml-base.en.bin`. Absent: the upstream hosts
     * (huggingface.co/ggerganov/whisper.cpp, and ggml-org/whisper-vad for the VAD model).
     */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** A JSON file of extra or replaced catalogue entries (also PARASCRIBE_MODELS_CATALOGUE; docs/models.md). */
    catalogue: z.string().min(1).optional(),
    /** No byte for this long counts as a cut connection (resumed, up to `retries` times). */
    stallTimeoutSec: z.number().positive().max(3_600).default(30),
    /** Resumes after a cut connection, a stall or an HTTP 5xx/429, per pull. */
    retries: z.number().int().min(0).max(50).default(5),
  })
  .strict();

export type ModelsConfig = z.infer<typeof modelsSchema>;
export const DEFAULT_MODELS_CONFIG: ModelsConfig = modelsSchema.parse({});
