import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bm25Scores, terms } from './bm25.js';

const termCases: Array<[string, string[]]> = [
  ['What did they decide about the Budget?', ['decide', 'budget']],
  ["the committee's budgets", ['committee', 'budget']],
  ['Class pass', ['class', 'pass']],
  ['2024 Q3 revenue', ['2024', 'q3', 'revenue']],
  ['Übergröße café', ['übergröße', 'café']],
];
for (const [text, expected] of termCases) {
  test(`terms(${JSON.stringify(text)})`, () => assert.deepEqual(terms(text), expected));
}

const docs = [
  'we talked about the weather and the weekend',
  'the budget for next year was approved after a long budget debate',
  'the plan for next year was approved after a long budget debate',
  'lunch options and the budget of the cafeteria were discussed at length by everyone present that day',
];

const rankCases: Array<{ name: string; query: string; expect: (s: number[]) => void }> = [
  { name: 'a document without any query term scores 0', query: 'budget', expect: (s) => assert.equal(s[0], 0) },
  { name: 'more occurrences rank higher', query: 'budget', expect: (s) => assert.ok(s[1]! > s[2]!) },
  { name: 'a longer document with one occurrence ranks below a shorter one', query: 'budget', expect: (s) => assert.ok(s[2]! > s[3]!) },
  { name: 'a rare term outweighs a common one', query: 'budget weather', expect: (s) => assert.ok(s[0]! > s[2]!) },
  { name: 'stopwords only: nothing to rank by', query: 'what did they say about it?', expect: (s) => assert.deepEqual(s, [0, 0, 0, 0]) },
];
for (const c of rankCases) test(`bm25: ${c.name}`, () => c.expect(bm25Scores(c.query, docs)));

test('bm25: no documents, no scores', () => assert.deepEqual(bm25Scores('budget', []), []));
