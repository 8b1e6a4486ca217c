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
  assert.deepEqual(loadConfig({ env: baseEnv }).limits, { maxAudioSec: 36_000, maxDecodedMb: 2048 });
  const limitsFile = join(dir, 'limits.json');
  writeFileSync(limitsFile, JSON.stringify({ limits: { maxAudioSec: 600, maxDecodedMb: 100 } }));
  assert.deepEqual(loadConfig({ env: baseEnv, configPath: limitsFile }).limits, { maxAudioSec: 600, maxDecodedMb: 100 });
  assert.deepEqual(loadConfig({ env: { ...baseEnv, PARASCRIBE_MAX_AUDIO_SEC: '7200' }, configPath: limitsFile }).limits, { maxAudioSec: 7200, maxDecodedMb: 100 });
  assert.throws(
    () => loadConfig({ env: { ...baseEnv, PARASCRIBE_MAX_AUDIO_SEC: 'forever' } }),
    (error: { code: string; message: string }) => error.code === 'INVALID_CONFIG' && /PARASCRIBE_MAX_AUDIO_SEC/.test(error.message),
  );
  assert.equal(loadConfig({ env: { ...baseEnv, PARASCRIBE_DATA_DIR: 'relative/data' } }).dataDir, join(process.cwd(), 'relative', 'data'));
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
