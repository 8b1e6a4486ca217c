import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lognormalDraw, seededRandom, standardNormal } from './random.js';

test('the same seed gives the same sequence; another seed another one', () => {
  const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('uniform draws lie in [0, 1) with a mean near 0.5', () => {
  const random = seededRandom(1);
  const values = Array.from({ length: 20_000 }, random);
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
});

test('normal and lognormal draws have the asked centre and spread', () => {
  const random = seededRandom(3);
  const normals = Array.from({ length: 20_000 }, () => standardNormal(random));
  const mean = normals.reduce((s, v) => s + v, 0) / normals.length;
  const variance = normals.reduce((s, v) => s + (v - mean) ** 2, 0) / normals.length;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
  const logs = Array.from({ length: 20_000 }, () => lognormalDraw(15, 0.8, random)).sort((a, b) => a - b);
  const median = logs[logs.length / 2]!;
  assert.ok(Math.abs(median - 15) < 0.6, `median ${median}`);
  assert.equal(lognormalDraw(15, 0, random), 15);
});
