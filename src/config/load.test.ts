import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { DEFAULT_AUTO_PLAN, DEFAULT_SEGMENT_SEC, fixedSegmentSec } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-config-'));
const file = join(dir, 'config.json');
writeFileSync(file, JSON.stringify({ segmentSec: 120, concurrency: 3, format: 'srt', backends: { pocketsphinx: { extraArgs: ['-beam', '1e-60'] } } }));
const baseEnv = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'none') };

test('config: defaults apply with no file, env or flags', () => {
  const config = loadConfig({ env: baseEnv });
  assert.equal(config.segmentSec, 'auto', '360 s until the history allows a model');
  assert.equal(fixedSegmentSec(config), 360);
  assert.equal(config.backend, undefined, 'routing rules or the default decide');
  assert.deepEqual(config.fallback, []);
  assert.equal(config.priority, 'normal');
  assert.equal(config.format, 'txt');
  assert.equal(config.cache, true);
  assert.equal(config.dataDir, join(dir, '.local', 'share', 'parascribe'));
  assert.equal(config.concurrency, undefined, 'resolved per job: the backend\'s limit, else CPU cores');
});

test('config: defaults < file < env < flags', () => {
  const cases: Array<{ env: Record<string, string>; flags: Record<string, unknown>; segmentSec: number; concurrency: number; format: string }> = [
    { env: {}, flags: {}, segmentSec: 120, concurrency: 3, format: 'srt' },
    { env: { PARASCRIBE_SEGMENT_SEC: '90' }, flags: {}, segmentSec: 90, concurrency: 3, format: 'srt' },
    { env: { PARASCRIBE_SEGMENT_SEC: '90', PARASCRIBE_FORMAT: 'vtt' }, flags: { segmentSec: 30 }, segmentSec: 30, concurrency: 3, format: 'vtt' },
    { env: { PARASCRIBE_CONCURRENCY: '7' }, flags: { concurrency: undefined }, segmentSec: 120, concurrency: 7, format: 'srt' },
  ];
  for (const c of cases) {
    const config = loadConfig({ env: { ...baseEnv, ...c.env }, configPath: file, flags: c.flags });
    assert.deepEqual([config.segmentSec, config.concurrency, config.format], [c.segmentSec, c.concurrency, c.format]);
  }
  const config = loadConfig({ env: baseEnv, configPath: file });
  assert.deepEqual(config.backends.pocketsphinx, { extraArgs: ['-beam', '1e-60'] });
});

test('config: PARASCRIBE_CONFIG and PARASCRIBE_DATA_DIR, PARASCRIBE_CACHE=0', () => {
  const config = loadConfig({ env: { ...baseEnv, PARASCRIBE_CONFIG: file, PARASCRIBE_DATA_DIR: '/srv/ps', PARASCRIBE_CACHE: '0' } });
  assert.equal(config.segmentSec, 120);
  assert.equal(config.dataDir, '/srv/ps');
  assert.equal(config.cache, false);
});

test('config: invalid values name their source', () => {
  const cases: Array<{ env?: Record<string, string>; flags?: Record<string, unknown>; configPath?: string; code: string; message: RegExp }> = [
    { flags: { segmentSec: -5 }, code: 'INVALID_ARGUMENT', message: /--segment-sec/ },
    { flags: { concurrency: 1.5 }, code: 'INVALID_ARGUMENT', message: /--concurrency/ },
    { flags: { format: 'docx' }, code: 'INVALID_ARGUMENT', message: /--format/ },
    { env: { PARASCRIBE_SEGMENT_SEC: 'abc' }, code: 'INVALID_CONFIG', message: /PARASCRIBE_SEGMENT_SEC/ },
    { configPath: join(dir, 'missing.json'), code: 'INVALID_CONFIG', message: /does not exist/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => loadConfig({ env: { ...baseEnv, ...c.env }, ...(c.flags ? { flags: c.flags } : {}), ...(c.configPath ? { configPath: c.configPath } : {}) }),
      (error: { code: string; message: string }) => error.code === c.code && c.message.test(error.message),
    );
  }
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ not json');
  assert.throws(() => loadConfig({ env: baseEnv, configPath: bad }), (error: { code: string }) => error.code === 'INVALID_CONFIG');
  writeFileSync(bad, JSON.stringify({ segmentSecs: 3 }));
  assert.throws(() => loadConfig({ env: baseEnv, configPath: bad }), (error: { code: string; message: string }) => error.code === 'INVALID_CONFIG' && /segmentSecs|Unrecognized/i.test(error.message));
});

test('config: PARASCRIBE_DATABASE_URL selects the store; absent, SQLite stays the default; a bad URL names the variable, never its password', () => {
  assert.equal(loadConfig({ env: baseEnv }).databaseUrl, undefined);
  const url = 'postgres://postgres@127.0.0.1:5432/parascribe';
  assert.equal(loadConfig({ env: { ...baseEnv, PARASCRIBE_DATABASE_URL: url } }).databaseUrl, url);
  assert.throws(
    () => loadConfig({ env: { ...baseEnv, PARASCRIBE_DATABASE_URL: 'mysql://root:s3cret-pw@db/parascribe' } }),
    (error: { code: string; message: string }) =>
      error.code === 'INVALID_CONFIG' && /PARASCRIBE_DATABASE_URL/.test(error.message) && !error.message.includes('s3cret-pw'),
  );
});

test('config: distributed settings from env merge into the file’s `distributed` section; bad values name the variable', () => {
  assert.equal(loadConfig({ env: baseEnv }).distributed.redisUrl, undefined);
  const sectionFile = join(dir, 'distributed.json');
  writeFileSync(sectionFile, JSON.stringify({ distributed: { lockSec: 7, worker: { concurrency: 3 } } }));
  const config = loadConfig({
    env: { ...baseEnv, PARASCRIBE_CONFIG: sectionFile, PARASCRIBE_REDIS_URL: 'redis://127.0.0.1:6379/2', PARASCRIBE_WORKER_SECRET: 'worker-secret-0123456789', PARASCRIBE_PUBLIC_URL: 'http://api.internal:8080' },
  });
  assert.equal(config.distributed.redisUrl, 'redis://127.0.0.1:6379/2');
  assert.equal(config.distributed.secret, 'worker-secret-0123456789');
  assert.equal(config.distributed.publicUrl, 'http://api.internal:8080');
  assert.equal(config.distributed.lockSec, 7);
  assert.equal(config.distributed.worker.concurrency, 3);
  for (const [name, value] of [['PARASCRIBE_REDIS_URL', 'http://redis:6379'], ['PARASCRIBE_WORKER_SECRET', 'short']] as const) {
    assert.throws(
      () => loadConfig({ env: { ...baseEnv, [name]: value } }),
      (error: { code: string; message: string }) => error.code === 'INVALID_CONFIG' && error.message.includes(name),
    );
  }
});

test("config: segmentSec takes a number or 'auto' (file or flag); fixedSegmentSec gives the number to use without a model", () => {
  const autoFile = join(dir, 'auto.json');
  writeFileSync(autoFile, JSON.stringify({ segmentSec: 'auto', autoPlan: { maxSegmentShare: 0.25, minJobs: 6 } }));
  const fromFile = loadConfig({ env: baseEnv, configPath: autoFile });
  assert.equal(fromFile.segmentSec, 'auto');
  assert.equal(fixedSegmentSec(fromFile), DEFAULT_SEGMENT_SEC);
  assert.deepEqual(fromFile.autoPlan, { ...DEFAULT_AUTO_PLAN, maxSegmentShare: 0.25, minJobs: 6 });
  assert.equal(loadConfig({ env: baseEnv, flags: { segmentSec: 'auto' } }).segmentSec, 'auto');
  const numeric = loadConfig({ env: baseEnv, configPath: autoFile, flags: { segmentSec: 90 } });
  assert.equal(fixedSegmentSec(numeric), 90);
  assert.deepEqual(loadConfig({ env: baseEnv }).autoPlan, DEFAULT_AUTO_PLAN);
  const cases: Array<{ flags?: Record<string, unknown>; file?: Record<string, unknown>; code: string; message: RegExp }> = [
    { flags: { segmentSec: 'automatic' }, code: 'INVALID_ARGUMENT', message: /--segment-sec/ },
    { flags: { segmentSec: Number.NaN }, code: 'INVALID_ARGUMENT', message: /--segment-sec/ },
    { file: { autoPlan: { maxSegmentShare: 1.5 } }, code: 'INVALID_CONFIG', message: /autoPlan\.maxSegmentShare/ },
    { file: { autoPlan: { minJobs: 1 } }, code: 'INVALID_CONFIG', message: /autoPlan\.minJobs/ },
    { file: { autoPlan: { maxSegmentsec: 60 } }, code: 'INVALID_CONFIG', message: /maxSegmentsec|Unrecognized/i },
  ];
  for (const c of cases) {
    const path = join(dir, 'case.json');
    writeFileSync(path, JSON.stringify(c.file ?? {}));
    assert.throws(
      () => loadConfig({ env: baseEnv, configPath: path, ...(c.flags ? { flags: c.flags } : {}) }),
      (error: { code: string; message: string }) => error.code === c.code && c.message.test(error.message),
      JSON.stringify(c),
    );
  }
});

test('config: limits from defaults < file < env; a bad value names its variable; dataDir is made absolute', () => {
  assert.deepEqual(loadConfig({ env: baseEnv }).limits, { maxAudioSec: 36_000, maxDecodedMb: 2048, maxDecodeSec: 3600 });
  const limitsFile = join(dir, 'limits.json');
  writeFileSync(limitsFile, JSON.stringify({ limits: { maxAudioSec: 600, maxDecodedMb: 100 } }));
  assert.deepEqual(loadConfig({ env: baseEnv, configPath: limitsFile }).limits, { maxAudioSec: 600, maxDecodedMb: 100, maxDecodeSec: 3600 });
  assert.deepEqual(loadConfig({ env: { ...baseEnv, PARASCRIBE_MAX_AUDIO_SEC: '7200', PARASCRIBE_MAX_DECODE_SEC: '60' }, configPath: limitsFile }).limits, { maxAudioSec: 7200, maxDecodedMb: 100, maxDecodeSec: 60 });
  // The per-key serve limits: file < env.
  const serveLimits = join(dir, 'serve-limits.json');
  writeFileSync(serveLimits, JSON.stringify({ serve: { maxQueuedJobsPerKey: 5, maxStreamsPerKey: 3 } }));
  const serve = loadConfig({ env: { ...baseEnv, PARASCRIBE_MAX_STREAMS_PER_KEY: '7', PARASCRIBE_MAX_JSON_BODY_KB: '8', PARASCRIBE_MAX_RUNNING_JOBS_PER_KEY: '1', PARASCRIBE_MAX_UPLOAD_MB: '50' }, configPath: serveLimits }).serve;
  assert.deepEqual(
    [serve.maxQueuedJobsPerKey, serve.maxStreamsPerKey, serve.maxJsonBodyKb, serve.maxRunningJobsPerKey, serve.maxUploadMb],
    [5, 7, 8, 1, 50],
  );
  assert.throws(
    () => loadConfig({ env: { ...baseEnv, PARASCRIBE_MAX_QUEUED_JOBS_PER_KEY: '0' } }),
    (error: { code: string; message: string }) => error.code === 'INVALID_CONFIG' && /PARASCRIBE_MAX_QUEUED_JOBS_PER_KEY/.test(error.message),
  );
  assert.throws(
    () => loadConfig({ env: { ...baseEnv, PARASCRIBE_MAX_AUDIO_SEC: 'forever' } }),
    (error: { code: string; message: string }) => error.code === 'INVALID_CONFIG' && /PARASCRIBE_MAX_AUDIO_SEC/.test(error.message),
  );
  assert.equal(loadConfig({ env: { ...baseEnv, PARASCRIBE_DATA_DIR: 'relative/data' } }).dataDir, join(process.cwd(), 'relative', 'data'));
});

test('config: an error names where the bad value came from — env, file key or flag — not another source on the same command line', () => {
  const serveFile = join(dir, 'serve-source.json');
  writeFileSync(serveFile, JSON.stringify({ serve: { maxUploadMb: 10 } }));
  const badKeysFile = join(dir, 'serve-bad-keys.json');
  writeFileSync(badKeysFile, JSON.stringify({ serve: { apiKeys: ['short'] } }));
  const flagNames = { 'serve.auth': '--no-auth', 'serve.maxConcurrentJobs': '--max-jobs' };
  const cases: Array<{ name: string; env?: Record<string, string>; flags?: Record<string, unknown>; configPath?: string; code: string; names: string; not?: RegExp }> = [
    // The reported bug: a short key in PARASCRIBE_API_KEYS was "invalid value for --serve" when a serve flag was given.
    { name: 'short key in env, a serve flag typed', env: { PARASCRIBE_API_KEYS: 'short' }, flags: { serve: { port: 0 } }, code: 'INVALID_CONFIG', names: 'PARASCRIBE_API_KEYS', not: /--serve|--port/ },
    { name: 'short key in env, no flag', env: { PARASCRIBE_API_KEYS: 'a-long-enough-key-0123456789,short' }, code: 'INVALID_CONFIG', names: 'PARASCRIBE_API_KEYS' },
    { name: 'short key in the file, env and flag set other serve keys', env: { PARASCRIBE_PORT: '9000' }, flags: { serve: { host: '127.0.0.1' } }, configPath: badKeysFile, code: 'INVALID_CONFIG', names: `serve.apiKeys.0 (in ${badKeysFile})`, not: /PARASCRIBE_PORT|--host/ },
    { name: 'bad port flag, good env key', env: { PARASCRIBE_API_KEYS: 'a-long-enough-key-0123456789' }, flags: { serve: { port: 70_000 } }, code: 'INVALID_ARGUMENT', names: '--port', not: /PARASCRIBE_API_KEYS/ },
    { name: 'flag with its own name', flags: { serve: { maxConcurrentJobs: 0 } }, code: 'INVALID_ARGUMENT', names: '--max-jobs' },
    { name: 'bad port in env, file sets serve', env: { PARASCRIBE_PORT: 'eighty' }, configPath: serveFile, code: 'INVALID_CONFIG', names: 'PARASCRIBE_PORT', not: /in \// },
    { name: 'env overrides a good file value with a bad one', env: { PARASCRIBE_CONCURRENCY: '0' }, configPath: file, code: 'INVALID_CONFIG', names: 'PARASCRIBE_CONCURRENCY' },
    { name: 'retry budget from env', env: { PARASCRIBE_RETRY_BUDGET_SEC: 'soon' }, code: 'INVALID_CONFIG', names: 'PARASCRIBE_RETRY_BUDGET_SEC' },
    { name: 'retry budget from the flag, env fine', env: { PARASCRIBE_RETRY_BUDGET_SEC: '60' }, flags: { retry: { budgetSec: -1 } }, code: 'INVALID_ARGUMENT', names: '--retry-budget-sec', not: /PARASCRIBE_RETRY_BUDGET_SEC/ },
  ];
  for (const c of cases) {
    assert.throws(
      () =>
        loadConfig({
          env: { ...baseEnv, ...c.env },
          ...(c.flags ? { flags: c.flags, flagNames: { ...flagNames, 'retry.budgetSec': '--retry-budget-sec' } } : {}),
          ...(c.configPath ? { configPath: c.configPath } : {}),
        }),
      (error: { code: string; message: string }) => {
        assert.equal(error.code, c.code, `${c.name}: ${error.message}`);
        assert.ok(error.message.includes(c.names), `${c.name}: "${error.message}" names ${c.names}`);
        if (c.not) assert.doesNotMatch(error.message, c.not, c.name);
        return true;
      },
      c.name,
    );
  }
  // A bad env value overridden by a good flag is no error: the flag's value is the one used.
  assert.equal(loadConfig({ env: { ...baseEnv, PARASCRIBE_CONCURRENCY: '0' }, flags: { concurrency: 2 } }).concurrency, 2);
  // A file key replaced by a flag stops being blamed; one still in force is.
  const retryFile = join(dir, 'retry-source.json');
  writeFileSync(retryFile, JSON.stringify({ retry: { budgetSec: 60, maxDelaySec: 0 } }));
  assert.throws(
    () => loadConfig({ env: baseEnv, configPath: retryFile, flags: { retry: { budgetSec: 30 } } }),
    (error: { code: string; message: string }) => error.code === 'INVALID_CONFIG' && error.message.includes(`retry.maxDelaySec (in ${retryFile})`),
  );
});

test('config: retry budget and backoff from defaults < file < env < flag; retryPolicyFor carries them with maxAttempts', async () => {
  const { DEFAULT_RETRY } = await import('./retry.js');
  const { retryPolicyFor } = await import('../queue/retry.js');
  assert.deepEqual(loadConfig({ env: baseEnv }).retry, { budgetSec: 600, baseDelayMs: 500, maxDelaySec: 30 });
  assert.deepEqual(DEFAULT_RETRY, { budgetSec: 600, baseDelayMs: 500, maxDelaySec: 30 });
  const retryFile = join(dir, 'retry.json');
  writeFileSync(retryFile, JSON.stringify({ maxAttempts: 4, retry: { budgetSec: 120, baseDelayMs: 100, maxDelaySec: 5 } }));
  const fromFile = loadConfig({ env: baseEnv, configPath: retryFile });
  assert.deepEqual(fromFile.retry, { budgetSec: 120, baseDelayMs: 100, maxDelaySec: 5 });
  assert.equal(loadConfig({ env: { ...baseEnv, PARASCRIBE_RETRY_BUDGET_SEC: '45' }, configPath: retryFile }).retry.budgetSec, 45);
  const flagged = loadConfig({ env: { ...baseEnv, PARASCRIBE_RETRY_BUDGET_SEC: '45' }, configPath: retryFile, flags: { retry: { budgetSec: 8 } } });
  assert.deepEqual(flagged.retry, { budgetSec: 8, baseDelayMs: 100, maxDelaySec: 5 }, 'the flag replaces one key; the file keeps the others');
  assert.deepEqual(retryPolicyFor(flagged), { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5000, budgetMs: 8000 });
});

test('config: mcp.roots from the file or PARASCRIBE_MCP_ROOTS (colon- or comma-separated); none by default; relative roots refused', () => {
  assert.deepEqual(loadConfig({ env: baseEnv }).mcp, { roots: [], maxPageChars: 50_000 });
  const mcpFile = join(dir, 'mcp.json');
  writeFileSync(mcpFile, JSON.stringify({ mcp: { roots: ['/srv/audio/', '/home/me/rec'], maxPageChars: 8000 } }));
  assert.deepEqual(loadConfig({ env: baseEnv, configPath: mcpFile }).mcp, { roots: ['/srv/audio', '/home/me/rec'], maxPageChars: 8000 });
  assert.deepEqual(loadConfig({ env: { ...baseEnv, PARASCRIBE_MCP_ROOTS: '/a:/b/c' }, configPath: mcpFile }).mcp, { roots: ['/a', '/b/c'], maxPageChars: 8000 });
  assert.deepEqual(loadConfig({ env: { ...baseEnv, PARASCRIBE_MCP_ROOTS: '/a, /b' } }).mcp.roots, ['/a', '/b']);
  assert.throws(
    () => loadConfig({ env: { ...baseEnv, PARASCRIBE_MCP_ROOTS: 'audio' } }),
    (error: { code: string; message: string }) => error.code === 'INVALID_CONFIG' && /PARASCRIBE_MCP_ROOTS.*absolute/.test(error.message),
  );
});
