import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibratedModelDir, lastCmnFromLog } from './calibrate.js';

test('CMN parser: the last logged update wins; malformed or missing gives undefined', () => {
  const log = [
    'INFO: cmn_live.c(88): Update from < 41.00 -5.29 -0.12 >',
    'INFO: cmn_live.c(105): Update to   < 50.73  5.27  6.12 >',
    'INFO: cmn_live.c(138): Update to   < 49.764  5.39 -6.06 >',
  ].join('\n');
  const cases: Array<[string, string | undefined]> = [
    [log, '49.76,5.39,-6.06'],
    ['', undefined],
    ['INFO: cmn_live.c(105): Update to   < 50.73 abc >', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(lastCmnFromLog(input), expected);
});

test('calibrated model dir: links every model file, replaces only -cmninit, is reused', async () => {
  const base = mkdtempSync(join(tmpdir(), 'parascribe-model-'));
  writeFileSync(join(base, 'feat.params'), '-lowerf 130\n-cmn batch\n-cmninit 41.00,-5.29\n');
  writeFileSync(join(base, 'means'), 'x');
  mkdirSync(join(base, 'extra'));
  const dir = await calibratedModelDir(base, '49.76,5.39');
  assert.deepEqual(readdirSync(dir).sort(), ['extra', 'feat.params', 'means']);
  assert.equal(readlinkSync(join(dir, 'means')), join(base, 'means'));
  assert.equal(readFileSync(join(dir, 'feat.params'), 'utf8'), '-lowerf 130\n-cmn batch\n-cmninit 49.76,5.39\n');
  assert.equal(await calibratedModelDir(base, '49.76,5.39'), dir, 'same content, same directory');
  assert.notEqual(await calibratedModelDir(base, '50.00,5.39'), dir);
});
