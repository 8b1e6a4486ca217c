import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transcript } from '../transcript.js';
import { contextText, passagesOf, totalTokens, type Passage } from './passages.js';
import { chunk, planAsk, planPassages, retrieve, transcriptBudget } from './strategy.js';

/** One paragraph per utterance (3 s pauses between them), 20 s each. */
function transcript(texts: string[]): Transcript {
  const utterances = texts.map((text, i) => ({ startSec: i * 23, endSec: i * 23 + 20, text, words: [] }));
  return { text: texts.join(' '), language: 'en', durationSec: texts.length * 23, utterances, words: [] };
}

const filler = (i: number) => `item ${i} of the agenda went by with routine remarks and nothing decided at all`;
const texts = Array.from({ length: 40 }, (_, i) => (i === 7 || i === 31 ? `the budget for marketing was cut in half, said the treasurer (${i})` : filler(i)));
const passages = passagesOf(transcript(texts));

test('passages: one per md paragraph, under its marker, with its span', () => {
  assert.equal(passages.length, 40);
  assert.equal(passages[2]!.line, `[00:00:46] ${filler(2)}`);
  assert.deepEqual([passages[2]!.startSec, passages[2]!.endSec], [46, 66]);
  assert.equal(contextText(passages.slice(0, 2)), `[00:00:00] ${filler(0)}\n\n[00:00:23] ${filler(1)}`);
});

test('passages: text without utterances is split so that no passage exceeds the limit', () => {
  const long = passagesOf({ text: 'word '.repeat(3000), language: 'en', durationSec: 600, utterances: [], words: [] });
  assert.ok(long.length >= 4);
  assert.ok(long.every((p) => p.text.length <= 4000 && p.startSec === 0 && p.endSec === 600));
});

test('transcriptBudget: the window less the answer, a 10 % margin and the fixed prompt', () => {
  assert.equal(transcriptBudget({ contextTokens: 8192, maxAnswerTokens: 1024 }, 100), Math.floor(7168 * 0.9) - 100);
  assert.equal(transcriptBudget({ contextTokens: 1024, maxAnswerTokens: 1000 }, 100), 0);
});

test('retrieve: the matching passages that fit, then their neighbours, in time order', () => {
  const t = passages[7]!.tokens;
  assert.deepEqual(retrieve(passages, 'What happened to the budget?', t * 2 + 1).map((p) => p.index), [7, 31]);
  assert.deepEqual(retrieve(passages, 'budget', t + 1).map((p) => p.index), [7], 'ties go to the earlier passage');
  assert.deepEqual(retrieve(passages, 'budget', passages.slice(6, 9).concat(passages.slice(30, 33)).reduce((s, p) => s + p.tokens, 0)).map((p) => p.index), [6, 7, 8, 30, 31, 32]);
  const big: Passage = { ...passages[31]!, index: 0, tokens: 10_000 };
  assert.deepEqual(retrieve([big, passages[7]!], 'budget', 200).map((p) => p.index), [7], 'a match too long to fit leaves room for one that fits');
  assert.deepEqual(retrieve(passages, 'zebra', totalTokens(passages.slice(0, 3))).map((p) => p.index), [0, 1, 2], 'nothing matches: the earliest that fit');
});

test('chunk: consecutive, each within the budget, nothing lost', () => {
  const budget = Math.ceil(totalTokens(passages) / 4.5);
  const chunks = chunk(passages, budget);
  assert.equal(chunks.length, 5);
  assert.deepEqual(chunks.flat().map((p) => p.index), passages.map((p) => p.index));
  assert.ok(chunks.every((c) => totalTokens(c) <= budget));
});

const size = totalTokens(passages);
const cases: Array<{ name: string; question: string; requested: 'auto' | 'full' | 'retrieve' | 'map-reduce'; budget: number; maxMapCalls?: number; strategy?: string; error?: RegExp }> = [
  { name: 'auto, fits → full', question: 'budget?', requested: 'auto', budget: size, strategy: 'full' },
  { name: 'auto, 5× the window, the question has terms → retrieve', question: 'what about the budget?', requested: 'auto', budget: Math.floor(size / 5), strategy: 'retrieve' },
  { name: 'auto, too long, nothing to retrieve by → map-reduce', question: 'summarise this for me', requested: 'auto', budget: Math.floor(size / 3), strategy: 'map-reduce' },
  { name: 'auto, nothing to retrieve by but too many map calls → retrieve', question: 'summarise this', requested: 'auto', budget: Math.floor(size / 20), maxMapCalls: 8, strategy: 'retrieve' },
  { name: 'full asked, does not fit → refused, naming the other strategies', question: 'x', requested: 'full', budget: size - 1, error: /does not fit .* --strategy retrieve, map-reduce or auto/ },
  { name: 'map-reduce asked beyond maxMapCalls → refused', question: 'x', requested: 'map-reduce', budget: Math.floor(size / 20), maxMapCalls: 8, error: /map-reduce would take \d+ calls/ },
  { name: 'retrieve asked, fits anyway → retrieve', question: 'budget', requested: 'retrieve', budget: size, strategy: 'retrieve' },
];
for (const c of cases) {
  test(`planAsk: ${c.name}`, () => {
    const input = { passages, question: c.question, requested: c.requested, budgetTokens: c.budget, mapBudgetTokens: c.budget, maxMapCalls: c.maxMapCalls ?? 8 };
    if (c.error) return assert.throws(() => planAsk(input), c.error);
    const plan = planAsk(input);
    assert.equal(plan.strategy, c.strategy);
    assert.match(plan.reason, new RegExp(`^${c.requested === 'auto' ? 'auto → ' : ''}${c.strategy}`));
    if (plan.strategy === 'retrieve') assert.ok(totalTokens(plan.passages) <= c.budget);
    if (plan.strategy === 'map-reduce') assert.ok(plan.chunks.every((ch) => totalTokens(ch) <= c.budget));
    const given = planPassages(plan);
    assert.deepEqual(given.map((p) => p.index), [...given].sort((a, b) => a.startSec - b.startSec).map((p) => p.index), 'time order');
  });
}
