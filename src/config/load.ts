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
/** Section settings (`serve`, `distributed`, `limits`, `llm`, `mcp`): merged into the file's section object, not replacing it. */
const SERVE_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_API_KEYS: { key: 'apiKeys', parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean) },
  PARASCRIBE_WEBHOOK_SECRET: { key: 'webhookSecret', parse: (raw) => raw },
  PARASCRIBE_HOST: { key: 'host', parse: (raw) => raw },
  PARASCRIBE_PORT: { key: 'port', parse: Number },
};
const DISTRIBUTED_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_REDIS_URL: { key: 'redisUrl', parse: (raw) => raw },
  PARASCRIBE_WORKER_SECRET: { key: 'secret', parse: (raw) => raw },
  PARASCRIBE_PUBLIC_URL: { key: 'publicUrl', parse: (raw) => raw },
};
const LIMITS_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_MAX_AUDIO_SEC: { key: 'maxAudioSec', parse: Number },
  PARASCRIBE_MAX_DECODED_MB: { key: 'maxDecodedMb', parse: Number },
};
const LLM_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_LLM_BASE_URL: { key: 'baseURL', parse: (raw) => raw },
  PARASCRIBE_LLM_API_KEY: { key: 'apiKey', parse: (raw) => raw },
  PARASCRIBE_LLM_MODEL: { key: 'model', parse: (raw) => raw },
};
const MCP_ENV_KEYS: Record<string, { key: string; parse: (raw: string) => unknown }> = {
  PARASCRIBE_MCP_ROOTS: { key: 'roots', parse: parseRootsList },
};
const SECTION_ENV_KEYS = { serve: SERVE_ENV_KEYS, distributed: DISTRIBUTED_ENV_KEYS, limits: LIMITS_ENV_KEYS, llm: LLM_ENV_KEYS, mcp: MCP_ENV_KEYS } as const;
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

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('PARASCRIBE_') || raw === undefined || raw === '' || NON_CONFIG_ENV.has(name)) continue;
    const spec = ENV_KEYS[name];
    if (spec) values[spec.key] = spec.parse(raw);
    for (const [section, keys] of Object.entries(SECTION_ENV_KEYS)) {
      const sectionSpec = keys[name];
      if (sectionSpec) values[section] = { ...(values[section] as object), [sectionSpec.key]: sectionSpec.parse(raw) };
    }
  }
  return values;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  configPath?: string;
  /** Values from command-line flags; undefined entries are ignored. */
  flags?: Record<string, unknown>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = configFilePath(env, options.configPath);
  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined));
  const fileValues = readConfigFile(file.path, file.required);
  const envValues = fromEnv(env);
  const merged: Record<string, unknown> = { dataDir: defaultDataDir(env), ...fileValues, ...envValues, ...flags };
  for (const section of Object.keys(SECTION_ENV_KEYS)) {
    const parts = [fileValues[section], envValues[section], flags[section]].filter((v) => v && typeof v === 'object');
    if (parts.length > 0) merged[section] = Object.assign({}, ...parts);
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const top = issue.path[0] === undefined ? undefined : String(issue.path[0]);
    if (top !== undefined && top in flags) {
      const flag = `--${top.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
      throw new ParascribeError('INVALID_ARGUMENT', `invalid value for ${flag}: ${issue.message}`);
    }
    const sectionKeys = top === undefined ? undefined : (SECTION_ENV_KEYS as Record<string, typeof ENV_KEYS>)[top];
    const envName = sectionKeys
      ? Object.entries(sectionKeys).find(([name, spec]) => spec.key === issue.path[1] && env[name])?.[0]
      : Object.entries(ENV_KEYS).find(([name, spec]) => spec.key === top && env[name])?.[0];
    const where = envName ?? `${issue.path.join('.') || 'config'} (in ${file.path})`;
    throw new ParascribeError('INVALID_CONFIG', `invalid setting ${where}: ${issue.message}`);
  }
  return parsed.data;
}
