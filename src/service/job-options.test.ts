import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema, type Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { configForJob, jobOptionsFromFields, parseJobOptions, type JobOptions } from './job-options.js';

const base: Config = configSchema.parse({ dataDir: '/tmp/x', serve: { models: { fast: { backend: 'remote-gpu', fallback: ['pocketsphinx'] } } } });

function invalid(fn: () => unknown, field: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ParascribeError, String(error));
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.match(error.message, new RegExp(`invalid ${field.replace(/[.[\]]/g, '\\$&')}\\b`), error.message);
    return true;
  });
}

test('parseJobOptions: valid options pass through unchanged', () => {
  const cases: Array<[unknown, JobOptions]> = [
    [undefined, {}],
    [null, {}],
    [{}, {}],
    [{ backend: 'fast' }, { backend: 'fast' }],
    [{ language: 'en' }, { language: 'en' }],
    [{ language: 'pt-BR' }, { language: 'pt-BR' }],
    [{ language: 'yue' }, { language: 'yue' }],
    [{ segment_sec: 10 }, { segment_sec: 10 }],
    [{ segment_sec: 3600 }, { segment_sec: 3600 }],
    [{ segment_sec: 90.5 }, { segment_sec: 90.5 }],
    [{ segment_sec: 'auto' }, { segment_sec: 'auto' }],
    [{ priority: 'critical' }, { priority: 'critical' }],
    [{ fallback: ['a', 'b'] }, { fallback: ['a', 'b'] }],
    [{ webhook_url: 'https://example.com/hook' }, { webhook_url: 'https://example.com/hook' }],
  ];
  for (const [raw, expected] of cases) assert.deepEqual(parseJobOptions(raw), expected, JSON.stringify(raw));
});

test('parseJobOptions: bad values → INVALID_ARGUMENT naming the field', () => {
  const cases: Array<[unknown, string]> = [
    [{ language: 'english' }, 'language'],
    [{ language: 'e' }, 'language'],
    [{ language: 'en_US' }, 'language'],
    [{ language: 'en; DROP' }, 'language'],
    [{ language: 5 }, 'language'],
    [{ segment_sec: 9 }, 'segment_sec'],
    [{ segment_sec: 3601 }, 'segment_sec'],
    [{ segment_sec: '60' }, 'segment_sec'], // JSON bodies are not coerced
    [{ segment_sec: 'AUTO' }, 'segment_sec'],
    [{ priority: 'urgent' }, 'priority'],
    [{ backend: '' }, 'backend'],
    [{ backend: 'x'.repeat(101) }, 'backend'],
    [{ fallback: 'a,b' }, 'fallback'],
    [{ fallback: [''] }, 'fallback.0'],
    [{ fallback: Array.from({ length: 11 }, (_, i) => `b${i}`) }, 'fallback'],
    [{ webhook_url: 'not a url' }, 'webhook_url'],
  ];
  for (const [raw, field] of cases) invalid(() => parseJobOptions(raw), field);
});

test('parseJobOptions: unknown fields are rejected, not ignored', () => {
  assert.throws(
    () => parseJobOptions({ language: 'en', segmentSec: 60 }),
    (error: unknown) => error instanceof ParascribeError && error.code === 'INVALID_ARGUMENT' && /segmentSec/.test(error.message),
  );
  assert.throws(() => parseJobOptions({ dataDir: '/etc' }), (error: unknown) => error instanceof ParascribeError && error.code === 'INVALID_ARGUMENT');
});

test('parseJobOptions: a non-object → INVALID_ARGUMENT about the options', () => {
  for (const raw of ['en', 42, ['en'], true]) invalid(() => parseJobOptions(raw), 'options');
});

test('jobOptionsFromFields: strings coerced (segment_sec a number, fallback a comma list)', () => {
  const cases: Array<[Record<string, string>, JobOptions]> = [
    [{}, {}],
    [{ segment_sec: '60' }, { segment_sec: 60 }],
    [{ segment_sec: ' 120 ' }, { segment_sec: 120 }],
    [{ segment_sec: '90.5' }, { segment_sec: 90.5 }],
    [{ segment_sec: 'auto' }, { segment_sec: 'auto' }],
    [{ segment_sec: ' Auto ' }, { segment_sec: 'auto' }],
    [{ fallback: 'a,b' }, { fallback: ['a', 'b'] }],
    [{ fallback: ' a , b ,, c ' }, { fallback: ['a', 'b', 'c'] }],
    [{ fallback: 'only' }, { fallback: ['only'] }],
    [{ fallback: '' }, { fallback: [] }],
    [{ backend: 'fast', language: 'de', priority: 'batch' }, { backend: 'fast', language: 'de', priority: 'batch' }],
  ];
  for (const [fields, expected] of cases) assert.deepEqual(jobOptionsFromFields(fields), expected, JSON.stringify(fields));
});

test('jobOptionsFromFields: bad strings → INVALID_ARGUMENT naming the field', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ segment_sec: 'abc' }, 'segment_sec'],
    [{ segment_sec: '' }, 'segment_sec'],
    [{ segment_sec: '5' }, 'segment_sec'],
    [{ segment_sec: '1e9' }, 'segment_sec'],
    [{ language: 'klingon' }, 'language'],
    [{ priority: 'high' }, 'priority'],
  ];
  for (const [fields, field] of cases) invalid(() => jobOptionsFromFields(fields), field);
  assert.throws(
    () => jobOptionsFromFields({ model: 'whisper-1' }),
    (error: unknown) => error instanceof ParascribeError && error.code === 'INVALID_ARGUMENT' && /model/.test(error.message),
  );
});

test('configForJob: no options → the server config as it was', () => {
  const config = configForJob(base, {});
  assert.equal(config.backend, undefined);
  assert.deepEqual(config.fallback, []);
  assert.equal(config.segmentSec, 'auto');
  assert.equal(config.priority, 'normal');
  assert.equal(config.language, undefined);
  assert.equal(config.dataDir, '/tmp/x');
  assert.deepEqual(config.serve, base.serve);
  assert.deepEqual(config, base);
  // A server default backend is kept.
  const withDefault = configSchema.parse({ dataDir: '/tmp/x', backend: 'whisper-cpp', fallback: ['pocketsphinx'], language: 'fr' });
  assert.deepEqual(configForJob(withDefault, {}), withDefault);
});

test('configForJob: a serve.models route maps the name to its backend and fallback', () => {
  const config = configForJob(base, { backend: 'fast' });
  assert.equal(config.backend, 'remote-gpu');
  assert.deepEqual(config.fallback, ['pocketsphinx']);
  // The caller's own fallback wins over the route's.
  assert.deepEqual(configForJob(base, { backend: 'fast', fallback: ['openai'] }).fallback, ['openai']);
  assert.deepEqual(configForJob(base, { backend: 'fast', fallback: [] }).fallback, []);
});

test('configForJob: a route without a fallback keeps the server fallback', () => {
  const config = configSchema.parse({ dataDir: '/tmp/x', fallback: ['pocketsphinx'], serve: { models: { big: { backend: 'openai' } } } });
  const job = configForJob(config, { backend: 'big' });
  assert.equal(job.backend, 'openai');
  assert.deepEqual(job.fallback, ['pocketsphinx']);
});

test('configForJob: an explicit backend id (not a route) passes through', () => {
  const config = configForJob(base, { backend: 'whisper-cpp' });
  assert.equal(config.backend, 'whisper-cpp');
  assert.deepEqual(config.fallback, []);
});

test('configForJob: language, segment_sec and priority override the defaults; the rest is kept', () => {
  const config = configForJob(base, { language: 'de', segment_sec: 120, priority: 'critical' });
  assert.equal(config.language, 'de');
  assert.equal(config.segmentSec, 120);
  assert.equal(config.priority, 'critical');
  assert.equal(config.backend, undefined);
  assert.deepEqual({ ...config, language: undefined, segmentSec: 'auto', priority: 'normal' }, { ...base, language: undefined });
  // The base config is not modified.
  assert.equal(base.segmentSec, 'auto');
  assert.equal(base.priority, 'normal');
  assert.equal(base.language, undefined);
});

test('configForJob: the route name "constructor" or "__proto__" is no route', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const config = configForJob(base, { backend: name });
    assert.equal(config.backend, name, `${name} was looked up on the prototype`);
  }
});
