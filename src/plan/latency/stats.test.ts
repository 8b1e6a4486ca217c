import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lognormalFit, nonNegativeLine, quantile, rSquared } from './stats.js';

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

test('nonNegativeLine', () => {
  const cases: Array<{ name: string; xs: number[]; ys: number[]; interceptSec: number; slope: number }> = [
    { name: 'exact line', xs: [1, 2, 3], ys: [3, 5, 7], interceptSec: 1, slope: 2 },
    { name: 'one distinct x: the mean, no slope', xs: [4, 4, 4], ys: [1, 2, 3], interceptSec: 2, slope: 0 },
    { name: 'falling data: the mean, no slope', xs: [1, 2, 3], ys: [3, 2, 1], interceptSec: 2, slope: 0 },
    { name: 'negative intercept: through the origin', xs: [1, 2], ys: [0, 4], interceptSec: 0, slope: 8 / 5 },
    { name: 'negative mean: clamped to 0', xs: [5], ys: [-1], interceptSec: 0, slope: 0 },
    { name: 'empty', xs: [], ys: [], interceptSec: 0, slope: 0 },
  ];
  for (const c of cases) {
    const line = nonNegativeLine(c.xs, c.ys);
    close(line.interceptSec, c.interceptSec, `${c.name} intercept`);
    close(line.slope, c.slope, `${c.name} slope`);
  }
});

test('quantile', () => {
  const cases: Array<[number[], number, number]> = [
    [[3, 1, 2], 0.5, 2],
    [[1, 2, 3, 4], 0.5, 3],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.1, 2],
    [[5], 0.9, 5],
  ];
  for (const [values, q, expected] of cases) assert.equal(quantile(values, q), expected, `${values} q${q}`);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('lognormalFit: median exp(mean ln), σ the sample deviation of ln; none without positive samples', () => {
  const fit = lognormalFit([Math.E, Math.E ** 3])!;
  close(fit.medianSec, Math.E ** 2, 'median');
  close(fit.sigma, Math.SQRT2, 'sigma');
  assert.deepEqual(lognormalFit([7]), { medianSec: 7, sigma: 0 });
  assert.equal(lognormalFit([0, -1]), undefined);
});

test('rSquared', () => {
  close(rSquared([1, 2, 3], [1, 2, 3]), 1, 'exact');
  close(rSquared([1, 2, 3], [2, 2, 2]), 0, 'the mean');
  close(rSquared([2, 2], [2, 2]), 1, 'flat, exact');
  close(rSquared([2, 2], [1, 3]), 0, 'flat, inexact');
});
