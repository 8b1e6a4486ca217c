import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseChain, divertUnderPressure, type RouteInput, type RoutingConfig } from './route.js';

const routing: RoutingConfig = {
  rules: [
    { priority: 'critical', backend: 'openai', fallback: ['remote-gpu', 'pocketsphinx'] },
    { priority: 'batch', backend: 'pocketsphinx' },
    { language: 'en', backend: 'pocketsphinx', fallback: ['remote-gpu'] },
    { language: '*', backend: 'remote-gpu', fallback: ['openai', 'pocketsphinx'] },
  ],
  pressure: { 'remote-gpu': { maxBacklog: 3, divertTo: 'groq' } },
};

test('routing: rules by priority and language, explicit choices win', () => {
  const base: RouteInput = { language: undefined, priority: 'normal', explicitBackend: undefined, fallback: [] };
  const cases: Array<[Partial<RouteInput>, string[], number | null]> = [
    [{ language: 'en' }, ['pocketsphinx', 'remote-gpu'], 2],
    [{ language: 'en-GB' }, ['pocketsphinx', 'remote-gpu'], 2],
    [{ language: 'de' }, ['remote-gpu', 'openai', 'pocketsphinx'], 3],
    [{}, ['remote-gpu', 'openai', 'pocketsphinx'], 3],
    [{ language: 'en', priority: 'critical' }, ['openai', 'remote-gpu', 'pocketsphinx'], 0],
    [{ language: 'de', priority: 'batch' }, ['pocketsphinx'], 1],
    [{ language: 'de', explicitBackend: 'openai' }, ['openai'], null],
    [{ explicitBackend: 'openai', fallback: ['pocketsphinx', 'openai'] }, ['openai', 'pocketsphinx'], null],
    [{ language: 'de', fallback: ['pocketsphinx'] }, ['remote-gpu', 'pocketsphinx'], 3],
  ];
  for (const [input, chain, rule] of cases) {
    assert.deepEqual(chooseChain(routing, { ...base, ...input }), { chain, rule }, JSON.stringify(input));
  }
  assert.deepEqual(chooseChain({ rules: [], pressure: {} }, base), { chain: ['pocketsphinx'], rule: null });
});

test('routing: a backlog over the limit diverts new segments to the alternative', () => {
  const chain = ['remote-gpu', 'openai'];
  const cases: Array<[number, string[]]> = [
    [0, ['remote-gpu', 'openai']],
    [2, ['remote-gpu', 'openai']],
    [3, ['groq', 'remote-gpu', 'openai']],
    [10, ['groq', 'remote-gpu', 'openai']],
  ];
  for (const [backlog, expected] of cases) assert.deepEqual(divertUnderPressure(chain, routing.pressure, () => backlog), expected);
  assert.deepEqual(divertUnderPressure(['openai'], routing.pressure, () => 100), ['openai']);
});
