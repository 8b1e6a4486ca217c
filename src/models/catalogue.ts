/**
 * The whisper.cpp model catalogue: which ggml files `parascribe models pull` knows, their sizes and
 * checksums. Kept in the code so that a pull is checked against values that did not come from the
 * server it downloads from.
 *
 * Provenance (docs/models.md):
 *  - `sha1`: the SHA-1s whisper.cpp publishes in its models/README.md ("Available models"). Only the
 *    full-precision models and three q5_0 ones have one there.
 *  - `sizeBytes`: the file sizes the model host lists (huggingface.co/ggerganov/whisper.cpp), as
 *    recorded by two independent projects that agree byte for byte. Where no checksum is published a
 *    pull checks the size and records the SHA-256 it computed (trust on first use; `models verify`
 *    checks later against that record).
 *  - The Silero VAD model: neither size nor checksum is published; a pull records its SHA-256.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ParascribeError } from '../errors.js';

export type ModelKind = 'whisper' | 'vad';

export interface CatalogueEntry {
  /** What a user types: `base.en`, `large-v3-turbo-q5_0`, `silero-v6.2.0`. */
  name: string;
  /** The file name on the model host and in the model store. */
  file: string;
  kind: ModelKind;
  /** Exact size in bytes, where known. */
  sizeBytes?: number;
  /** For the list when the exact size is not known. */
  approxBytes: number;
  /** Hex SHA-1 as whisper.cpp publishes it. */
  sha1?: string;
  /** Hex SHA-256 (custom catalogues, test catalogues). */
  sha256?: string;
  /** A full URL that replaces base URL + file (custom catalogues only). */
  url?: string;
}

/** Where the files come from without a mirror (whisper.cpp's own download scripts use these). */
export const UPSTREAM_BASE_URLS: Readonly<Record<ModelKind, string>> = {
  whisper: 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main',
  vad: 'https://huggingface.co/ggml-org/whisper-vad/resolve/main',
};

/** What `--backend whispercpp` uses when no modelPath is configured. */
export const DEFAULT_WHISPER_MODEL = 'base.en';
export const DEFAULT_VAD_MODEL = 'silero-v6.2.0';

const MiB = 1024 * 1024;

// name, exact size, upstream SHA-1 ('' where whisper.cpp publishes none).
const WHISPER_MODELS: readonly [string, number, string][] = [
  ['tiny', 77_691_713, 'bd577a113a864445d4c299885e0cb97d4ba92b5f'],
  ['tiny.en', 77_704_715, 'c78c86eb1a8faa21b369bcd33207cc90d64ae9df'],
  ['tiny-q5_1', 32_152_673, ''],
  ['tiny.en-q5_1', 32_166_155, ''],
  ['tiny-q8_0', 43_537_433, ''],
  ['base', 147_951_465, '465707469ff3a37a2b9b8d8f89f2f99de7299dac'],
  ['base.en', 147_964_211, '137c40403d78fd54d454da0f9bd998f78703390c'],
  ['base-q5_1', 59_707_625, ''],
  ['base.en-q5_1', 59_721_011, ''],
  ['base-q8_0', 81_768_585, ''],
  ['small', 487_601_967, '55356645c2b361a969dfd0ef2c5a50d530afd8d5'],
  ['small.en', 487_614_201, 'db8a495a91d927739e50b3fc1cc4c6b8f6c2d022'],
  ['small-q5_1', 190_085_487, ''],
  ['small.en-q5_1', 190_098_681, ''],
  ['small-q8_0', 264_464_607, ''],
  ['medium', 1_533_763_059, 'fd9727b6e1217c2f614f9b698455c4ffd82463b4'],
  ['medium.en', 1_533_774_781, '8c30f0e44ce9560643ebd10bbe50cd20eafd3723'],
  ['medium-q5_0', 539_212_467, ''],
  ['medium.en-q5_0', 539_225_533, ''],
  ['medium-q8_0', 823_369_779, ''],
  ['large-v3', 3_095_033_483, 'ad82bf6a9043ceed055076d0fd39f5f186ff8062'],
  ['large-v3-q5_0', 1_081_140_203, 'e6e2ed78495d403bef4b7cff42ef4aaadcfea8de'],
  ['large-v3-turbo', 1_624_555_275, '4af2b29d7ec73d781377bfd1758ca957a807e941'],
  ['large-v3-turbo-q5_0', 574_041_195, 'e050f7970618a659205450ad97eb95a18d69c9ee'],
  ['large-v3-turbo-q8_0', 874_188_075, ''],
];

export const BUILTIN_CATALOGUE: readonly CatalogueEntry[] = [
  ...WHISPER_MODELS.map(([name, sizeBytes, sha1]): CatalogueEntry => ({
    name,
    file: `ggml-${name}.bin`,
    kind: 'whisper',
    sizeBytes,
    approxBytes: sizeBytes,
    ...(sha1 ? { sha1 } : {}),
  })),
  { name: 'silero-v6.2.0', file: 'ggml-silero-v6.2.0.bin', kind: 'vad', approxBytes: Math.round(0.85 * MiB) },
];

const hex = (length: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `${length} hex digits`).transform((s) => s.toLowerCase());

/** One entry of a custom catalogue file (`models.catalogue` / PARASCRIBE_MODELS_CATALOGUE). */
const customEntrySchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-"'),
    file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a plain file name').optional(),
    kind: z.enum(['whisper', 'vad']).default('whisper'),
    sizeBytes: z.number().int().positive().optional(),
    sha1: hex(40).optional(),
    sha256: hex(64).optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .strict();

const customCatalogueSchema = z.object({ models: z.array(customEntrySchema) }).strict();

export class Catalogue {
  readonly #entries = new Map<string, CatalogueEntry>();

  constructor(entries: readonly CatalogueEntry[]) {
    for (const entry of entries) this.#entries.set(entry.name, entry);
  }

  /** The built-in table with a custom catalogue file's entries on top (same name: replaced). */
  static load(customPath?: string): Catalogue {
    if (!customPath) return new Catalogue(BUILTIN_CATALOGUE);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(customPath, 'utf8'));
    } catch (error) {
      throw new ParascribeError('INVALID_CONFIG', `model catalogue ${customPath}: ${(error as Error).message}`);
    }
    const parsed = customCatalogueSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ParascribeError('INVALID_CONFIG', `model catalogue ${customPath}: ${issue.path.join('.') || 'file'}: ${issue.message}`);
    }
    const custom = parsed.data.models.map(
      (m): CatalogueEntry => ({
        name: m.name,
        file: m.file ?? `ggml-${m.name}.bin`,
        kind: m.kind,
        approxBytes: m.sizeBytes ?? 0,
        ...(m.sizeBytes !== undefined ? { sizeBytes: m.sizeBytes } : {}),
        ...(m.sha1 ? { sha1: m.sha1 } : {}),
        ...(m.sha256 ? { sha256: m.sha256 } : {}),
        ...(m.url ? { url: m.url } : {}),
      }),
    );
    return new Catalogue([...BUILTIN_CATALOGUE, ...custom]);
  }

  list(): CatalogueEntry[] {
    return [...this.#entries.values()];
  }

  find(name: string): CatalogueEntry | undefined {
    return this.#entries.get(name) ?? this.#entries.get(name.replace(/^ggml-/, '').replace(/\.bin$/, ''));
  }

  /** The entry, or INVALID_ARGUMENT listing what there is. */
  get(name: string): CatalogueEntry {
    const entry = this.find(name);
    if (entry) return entry;
    const names = this.list().map((e) => e.name);
    const close = names.filter((n) => n.startsWith(name.split(/[.-]/)[0] ?? name));
    throw new ParascribeError('INVALID_ARGUMENT', `unknown model "${name}" (${close.length > 0 ? `did you mean: ${close.join(', ')}? ` : ''}see \`parascribe models list\`)`);
  }

  /** Where a pull fetches the entry from: its own URL, else the mirror (or the upstream host) + file. */
  urlOf(entry: CatalogueEntry, mirror?: string): string {
    if (entry.url) return entry.url;
    const base = (mirror ?? UPSTREAM_BASE_URLS[entry.kind]).replace(/\/+$/, '');
    return `${base}/${entry.file}`;
  }
}

/** What a check against the catalogue can promise for an entry. */
export function checksumLabel(entry: Pick<CatalogueEntry, 'sha1' | 'sha256'>): string {
  if (entry.sha256) return `sha256:${entry.sha256.slice(0, 12)}…`;
  if (entry.sha1) return `sha1:${entry.sha1.slice(0, 12)}…`;
  return 'unknown (recorded on pull)';
}
