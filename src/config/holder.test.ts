import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigHolder } from './holder.js';
import { loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-holder-'));
const file = join(dir, 'config.json');
const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'none'), PARASCRIBE_DATA_DIR: join(dir, 'data') };
const write = (config: unknown) => writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
const load = () => loadConfig({ env, configPath: file });

test('config holder: a good change applies, a broken one is refused with one line and the old one stays', () => {
  write({ backends: { a: { type: 'pocketsphinx' } }, routing: { canary: { backend: 'a', share: 0.1, compareWith: 'pocketsphinx' } } });
  const lines: string[] = [];
  const seen: Array<[unknown, unknown]> = [];
  const holder = new ConfigHolder(load(), { load, log: (line) => lines.push(line), check: (c) => { if (c.shadow?.backend === 'nope') throw new Error('unknown backend "nope"'); } });
  holder.onChange((next, previous) => seen.push([next.routing.canary?.share, previous.routing.canary?.share]));
  const before = holder.current;

  write('{ "routing": { "canary": ');
  let result = holder.reload('SIGHUP');
  assert.equal(result.applied, false);
  assert.match(result.error!, /config\.json/);
  assert.equal(holder.current, before, 'the old config stays');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^config reload \(SIGHUP\) refused, the running config stays: /);

  write({ routing: { canary: { backend: 'a', share: 2, compareWith: 'pocketsphinx' } } });
  result = holder.reload('SIGHUP');
  assert.equal(result.applied, false, 'the schema refuses share 2');
  assert.match(result.error!, /routing\.canary\.share/);

  write({ shadow: { backend: 'nope', share: 0.2 } });
  assert.equal(holder.reload('file change').applied, false, 'check refuses an unbuildable backend');
  assert.match(lines.at(-1)!, /unknown backend "nope"/);
  assert.equal(holder.current, before);

  write({ backends: { a: { type: 'pocketsphinx' } }, routing: { canary: { backend: 'a', share: 0.5, compareWith: 'pocketsphinx' } }, shadow: { backend: 'a', share: 0.2 }, serve: { port: 9999 } });
  result = holder.reload('SIGHUP');
  assert.deepEqual(result, { applied: true, changed: ['routing', 'shadow'], needRestart: ['serve'] });
  assert.equal(holder.current.routing.canary?.share, 0.5);
  assert.equal(holder.current.shadow?.share, 0.2);
  assert.equal(holder.current.serve.port, before.serve.port, 'the port needs a restart');
  assert.deepEqual(seen, [[0.5, 0.1]]);
  assert.match(lines.at(-1)!, /config reloaded \(SIGHUP\): routing, shadow now apply to new segments; changed but applied only after a restart: serve/);

  write({ backends: { a: { type: 'pocketsphinx' } }, serve: { port: 9999 } });
  result = holder.reload('SIGHUP');
  assert.deepEqual(result.changed, ['routing', 'shadow']);
  assert.equal(holder.current.shadow, undefined, 'a removed shadow section turns shadowing off');
  assert.equal(holder.current.routing.canary, undefined);
  assert.equal(holder.reload('SIGHUP').applied, false, 'nothing new');
  assert.match(lines.at(-1)!, /nothing to apply; changed but applied only after a restart: serve/);
});

test('config holder: without a source, reloads are refused', () => {
  const lines: string[] = [];
  const holder = new ConfigHolder(loadConfig({ env }), { log: (line) => lines.push(line) });
  assert.equal(holder.reload('SIGHUP').applied, false);
  assert.match(lines[0]!, /no config source/);
});
