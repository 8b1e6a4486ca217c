/** Loads the configuration from its four sources and validates it once. */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ParascribeError } from '../errors.js';
import { parseRootsList } from './mcp.js';
import { configSchema, defaultDataDir, type Config } from './schema.js';

/** Environment variables and how to read them. Anything else PARASCRIBE_* is reported as unknown. */
const ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_DATA_DIR: { key: 'dataDir', parse: (raw) => raw },
  PARASCRIBE_DATABASE_URL: { key: 'databaseUrl', parse: (raw) => raw },
  PARASCRIBE_BACKEND: { key: 'backend', parse: (raw) => raw },
  PARASCRIBE_FALLBACK: { key: 'fallback', parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean) },
  PARASCRIBE_PRIORITY: { key: 'priority', parse: (raw) => raw },
  PARASCRIBE_SEGMENT_SEC: { key: 'segmentSec', parse: (raw) => (raw.trim().toLowerCase() === 'auto' ? 'auto' : Number(raw)) },
  PARASCRIBE_CONCURRENCY: { key: 'concurrency', parse: Number },
  PARASCRIBE_LANGUAGE: { key: 'language', parse: (raw) => raw },
  PARASCRIBE_FORMAT: { key: 'format', parse: (raw) => raw },
  PARASCRIBE_CACHE: { key: 'cache', parse: (raw) => !['0', 'false', 'no', 'off'].includes(raw.toLowerCase()) },
  PARASCRIBE_MAX_ATTEMPTS: { key: 'maxAttempts', parse: Number },
  PARASCRIBE_SEGMENT_TIMEOUT_SEC: { key: 'segmentTimeoutSec', parse: Number },
};
/** Section settings (`serve`, `distributed`, `limits`, `llm`, `mcp`, `models`): merged into the file's section object, not replacing it. */
const SERVE_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_API_KEYS: { key: 'apiKeys', parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean) },
  PARASCRIBE_ADMIN_KEYS: { key: 'adminKeys', parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean) },
  PARASCRIBE_WEBHOOK_SECRET: { key: 'webhookSecret', parse: (raw) => raw },
  PARASCRIBE_HOST: { key: 'host', parse: (raw) => raw },
  PARASCRIBE_PORT: { key: 'port', parse: Number },
  PARASCRIBE_KEEP_UPLOAD_HOURS: { key: 'keepUploadHours', parse: Number },
  PARASCRIBE_MAX_UPLOAD_MB: { key: 'maxUploadMb', parse: Number },
  PARASCRIBE_MAX_RUNNING_JOBS_PER_KEY: { key: 'maxRunningJobsPerKey', parse: Number },
  PARASCRIBE_MAX_QUEUED_JOBS_PER_KEY: { key: 'maxQueuedJobsPerKey', parse: Number },
  PARASCRIBE_MAX_STREAMS_PER_KEY: { key: 'maxStreamsPerKey', parse: Number },
  PARASCRIBE_MAX_JSON_BODY_KB: { key: 'maxJsonBodyKb', parse: Number },
};
const DISTRIBUTED_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_REDIS_URL: { key: 'redisUrl', parse: (raw) => raw },
  PARASCRIBE_WORKER_SECRET: { key: 'secret', parse: (raw) => raw },
  PARASCRIBE_PUBLIC_URL: { key: 'publicUrl', parse: (raw) => raw },
};
const LIMITS_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_MAX_AUDIO_SEC: { key: 'maxAudioSec', parse: Number },
  PARASCRIBE_MAX_DECODED_MB: { key: 'maxDecodedMb', parse: Number },
  PARASCRIBE_MAX_DECODE_SEC: { key: 'maxDecodeSec', parse: Number },
};
const RETRY_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_RETRY_BUDGET_SEC: { key: 'budgetSec', parse: Number },
};
const LLM_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_LLM_BASE_URL: { key: 'baseURL', parse: (raw) => raw },
  PARASCRIBE_LLM_API_KEY: { key: 'apiKey', parse: (raw) => raw },
  PARASCRIBE_LLM_MODEL: { key: 'model', parse: (raw) => raw },
};
const MCP_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_MCP_ROOTS: { key: 'roots', parse: parseRootsList },
};
const MODELS_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_MODELS_URL: { key: 'baseUrl', parse: (raw) => raw },
  PARASCRIBE_MODELS_CATALOGUE: { key: 'catalogue', parse: (raw) => raw },
};
type EnvKeys = Record<string, { key: string; parse: (raw: string) => unknown }>;
/** Sections merged key by key across file, environment and flags (`subtitles` has flags only). */
const SECTION_ENV_KEYS: Record<string, EnvKeys> = { serve: SERVE_ENV_KEYS, distributed: DISTRIBUTED_ENV_KEYS, limits: LIMITS_ENV_KEYS, retry: RETRY_ENV_KEYS, llm: LLM_ENV_KEYS, mcp: MCP_ENV_KEYS, models: MODELS_ENV_KEYS, subtitles: {} };
// Read by the backends themselves when they are created (their own settings schemas).
const NON_CONFIG_ENV = new Set(['PARASCRIBE_CONFIG', 'PARASCRIBE_TEST_CRASH_AT', 'PARASCRIBE_TEST_POSTGRES_URL', 'PARASCRIBE_WHISPERCPP_MODEL', 'PARASCRIBE_OPENAI_BASE_URL', 'PARASCRIBE_OPENAI_API_KEY']);

export function configFilePath(env: NodeJS.ProcessEnv, explicit?: string): { path: string; required: boolean } {
  if (explicit) return { path: explicit, required: true };
  if (env.PARASCRIBE_CONFIG) return { path: env.PARASCRIBE_CONFIG, required: true };
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return { path: join(base, 'parascribe', 'config.json'), required: false };
}

function readConfigFile(path: string, required: boolean): Record<string, unknown> {
  if (!existsSync(path)) {
    if (required) throw new ParascribeError('INVALID_CONFIG', `config file ${path} does not exist`);
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ParascribeError('INVALID_CONFIG', `config file ${path}: ${(error as Error).message}`);
  }
}

/**
 * Where each value came from, by dotted path ('segmentSec', 'serve.apiKeys'): a flag, an environment
 * variable, a key of the config file, or the default. An error names the source of the value it is
 * about, so that a bad PARASCRIBE_API_KEYS is not blamed on a flag typed on the same command line.
 */
type Source = { kind: 'flag'; name: string } | { kind: 'env'; name: string } | { kind: 'file'; path: string } | { kind: 'default' };

/** The values the environment sets, and the variable behind each dotted path. */
function fromEnv(env: NodeJS.ProcessEnv): { values: Record<string, unknown>; names: Map<string, string> } {
  const values: Record<string, unknown> = {};
  const names = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('PARASCRIBE_') || raw === undefined || raw === '' || NON_CONFIG_ENV.has(name)) continue;
    const spec = ENV_KEYS[name];
    if (spec) {
      values[spec.key] = spec.parse(raw);
      names.set(spec.key, name);
    }
    for (const [section, keys] of Object.entries(SECTION_ENV_KEYS)) {
      const sectionSpec = keys[name];
      if (!sectionSpec) continue;
      values[section] = { ...(values[section] as object), [sectionSpec.key]: sectionSpec.parse(raw) };
      names.set(`${section}.${sectionSpec.key}`, name);
      if (!names.has(section)) names.set(section, name);
    }
  }
  return { values, names };
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  configPath?: string;
  /** Values from command-line flags; undefined entries are ignored. */
  flags?: Record<string, unknown>;
  /**
   * The flag each value came from, by dotted path (`'serve.maxConcurrentJobs': '--max-jobs'`), where
   * it is not `--` plus the kebab-case of the last key (`segmentSec` → `--segment-sec`).
   */
  flagNames?: Record<string, string>;
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = configFilePath(env, options.configPath);
  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined));
  const fileValues = readConfigFile(file.path, file.required);
  const sources = new Map<string, Source>([['dataDir', { kind: 'default' }]]);
  const sectionNames = new Set(Object.keys(SECTION_ENV_KEYS));
  // Lowest precedence first, so that a later layer's entry replaces an earlier one's.
  const note = (values: Record<string, unknown>, source: (path: string) => Source) => {
    for (const [key, value] of Object.entries(values)) {
      if (sectionNames.has(key) && isObject(value)) {
        if (!sources.has(key)) sources.set(key, source(key));
        for (const sub of Object.keys(value)) sources.set(`${key}.${sub}`, source(`${key}.${sub}`));
      } else {
        // A whole value replaced: what an earlier layer said about its parts no longer holds.
        for (const path of [...sources.keys()]) if (path.startsWith(`${key}.`)) sources.delete(path);
        sources.set(key, source(key));
      }
    }
  };
  note(fileValues, (path) => ({ kind: 'file', path }));
  const { values: envValues, names: envNames } = fromEnv(env);
  note(envValues, (path) => ({ kind: 'env', name: envNames.get(path)! }));
  note(flags, (path) => ({ kind: 'flag', name: options.flagNames?.[path] ?? `--${kebab(path.split('.').at(-1)!)}` }));
  const merged: Record<string, unknown> = { dataDir: defaultDataDir(env), ...fileValues, ...envValues, ...flags };
  for (const section of sectionNames) {
    const parts = [fileValues[section], envValues[section], flags[section]].filter((v) => v && typeof v === 'object');
    if (parts.length > 0) merged[section] = Object.assign({}, ...parts);
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    // The most specific path a source is known for: 'serve.apiKeys' for an issue at serve.apiKeys.0.
    let source: Source | undefined;
    for (let n = path.length; n > 0 && !source; n--) source = sources.get(path.slice(0, n).join('.'));
    const where = path.join('.') || 'config';
    switch (source?.kind) {
      case 'flag':
        throw new ParascribeError('INVALID_ARGUMENT', `invalid value for ${source.name}: ${issue.message}`);
      case 'env':
        throw new ParascribeError('INVALID_CONFIG', `invalid setting ${source.name}: ${issue.message}`);
      case 'default':
        throw new ParascribeError('INVALID_CONFIG', `invalid setting ${where} (its default): ${issue.message}`);
      default:
        throw new ParascribeError('INVALID_CONFIG', `invalid setting ${where} (in ${file.path}): ${issue.message}`);
    }
  }
  return parsed.data;
}
