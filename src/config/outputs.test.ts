import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParascribeError } from '../errors.js';
import { loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-config-outputs-'));
const baseEnv = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'none') };

test('config: subtitles, speakers and models sections from defaults, file, env and flags', () => {
  const defaults = loadConfig({ env: baseEnv });
  assert.deepEqual(defaults.subtitles, { maxLineChars: 42, maxLines: 2, maxCueSec: 7, maxCps: 20 });
  assert.equal(defaults.speakers, 'none');
  assert.deepEqual(defaults.models, { stallTimeoutSec: 30, retries: 5 });
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ subtitles: { maxLines: 3 }, speakers: 'channels', models: { retries: 2, baseUrl: 'https://file.example/m' } }));
  const merged = loadConfig({
    env: { ...baseEnv, PARASCRIBE_MODELS_URL: 'http://mirror.local/whisper', PARASCRIBE_MODELS_CATALOGUE: '/etc/catalogue.json' },
    configPath: file,
    flags: { subtitles: { maxLineChars: 32 } },
  });
  assert.deepEqual(merged.subtitles, { maxLineChars: 32, maxLines: 3, maxCueSec: 7, maxCps: 20 }, 'a flag changes one key; the file keeps the others');
  assert.equal(merged.speakers, 'channels');
  assert.deepEqual(merged.models, { baseUrl: 'http://mirror.local/whisper', catalogue: '/etc/catalogue.json', retries: 2, stallTimeoutSec: 30 });
  assert.throws(
    () => loadConfig({ env: baseEnv, flags: { subtitles: { maxCps: 1 } } }),
    (e: ParascribeError) => e.code === 'INVALID_ARGUMENT' && /invalid value for --max-cps/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ env: { ...baseEnv, PARASCRIBE_MODELS_URL: 'ftp://x' } }),
    (e: ParascribeError) => e.code === 'INVALID_CONFIG' && /PARASCRIBE_MODELS_URL/.test(e.message),
  );
});
