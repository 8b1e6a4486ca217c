import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fts5Match, indexTerms, makeSnippet, parseSearchQuery, porterStem, textOfResult, tokenize, tsqueryLiteral, tsvectorLiteral } from './search-text.js';

test('Porter stemmer: the examples of Porter (1980) and the reference vocabulary', () => {
  const pairs = `caresses caress ponies poni ties ti caress caress cats cat feed feed agreed agre plastered plaster bled bled motoring motor
    sing sing conflated conflat troubled troubl sized size hopping hop tanned tan falling fall hissing hiss fizzed fizz failing fail
    filing file happy happi sky sky relational relat conditional condit rational ration valenci valenc hesitanci hesit digitizer digit
    conformabli conform radicalli radic differentli differ vileli vile analogousli analog vietnamization vietnam predication predic
    operator oper feudalism feudal decisiveness decis hopefulness hope callousness callous formaliti formal sensitiviti sensit
    sensibiliti sensibl triplicate triplic formative form formalize formal electriciti electr electrical electr hopeful hope goodness good
    revival reviv allowance allow inference infer airliner airlin gyroscopic gyroscop adjustable adjust defensible defens irritant irrit
    replacement replac adjustment adjust dependent depend adoption adopt communism commun activate activ angulariti angular
    homologous homolog effective effect bowdlerize bowdler probate probat rate rate cease ceas controll control roll roll
    generalizations gener oscillators oscil yelling yell budgets budget budgeting budget budgeted budget`
    .trim()
    .split(/\s+/);
  for (let i = 0; i < pairs.length; i += 2) assert.equal(porterStem(pairs[i]!), pairs[i + 1], pairs[i]);
});

test('tokenize: lower case, Latin diacritics and inner apostrophes gone, a–z words stemmed, spans of the words as written', () => {
  const text = "The Budget's naïve PLAN—Straße, 3.5% don’t ½ 東京";
  assert.deepEqual(
    tokenize(text).map((t) => [t.term, text.slice(t.start, t.end)]),
    [
      ['the', 'The'],
      ['budget', "Budget's"],
      ['naiv', 'naïve'],
      ['plan', 'PLAN'],
      ['straße', 'Straße'],
      ['3', '3'],
      ['5', '5'],
      ['dont', 'don’t'],
      ['1', '½'],
      ['2', '½'],
      ['東京', '東京'],
    ],
  );
  assert.deepEqual(indexTerms(`ok ${'a'.repeat(65)} fine`), ['ok', 'fine'], 'overlong words are not indexed');
});

test('index forms: a tsvector literal with positions; result text read from result_json', () => {
  assert.equal(tsvectorLiteral(indexTerms('the plan, the budget, the plan')), "'the':1,3,5 'plan':2,6 'budget':4");
  assert.equal(textOfResult(JSON.stringify({ text: 'hello', utterances: [] })), 'hello');
  for (const json of ['{}', '{"text":"  "}', 'not json', null, undefined]) assert.equal(textOfResult(json), undefined, String(json));
});

test('parseSearchQuery: words AND-ed, quoted phrases, everything else is punctuation; both engines get quoted terms only', () => {
  const q = parseSearchQuery('Budget "hiring plans" OR -x* (NEAR “naïve forecast”  budget "unclosed quote');
  assert.deepEqual(q.items, [['budget'], ['hire', 'plan'], ['or'], ['x'], ['near'], ['naiv', 'forecast'], ['unclos', 'quot']]);
  assert.equal(fts5Match(q), '"budget" AND "hire plan" AND "or" AND "x" AND "near" AND "naiv forecast" AND "unclos quot"');
  assert.equal(tsqueryLiteral(q), "'budget' & ('hire' <-> 'plan') & 'or' & 'x' & 'near' & ('naiv' <-> 'forecast') & ('unclos' <-> 'quot')");
  assert.deepEqual(parseSearchQuery('"budget"').items, [['budget']], 'a one-word phrase is a word');
  for (const bad of ['', ' ', '!?', '""', '*:^', 'x'.repeat(501), Array.from({ length: 33 }, (_, i) => `w${i}`).join(' ')]) {
    assert.throws(() => parseSearchQuery(bad), (e: { code?: string }) => e.code === 'INVALID_ARGUMENT', JSON.stringify(bad));
  }
});

test('makeSnippet: the window with the most query items, matched words marked, … where the text goes on', () => {
  const words = (from: number, count: number) => Array.from({ length: count }, (_, i) => `w${from + i}`).join(' ');
  const text = `${words(0, 40)} budget ${words(40, 10)} plan and budget again. ${words(50, 40)}`;
  const q = parseSearchQuery('budget plan');
  assert.equal(makeSnippet(text, q), '…w34 w35 w36 w37 w38 w39 «budget» w40 w41 w42 w43 w44 w45 w46 w47 w48 w49 «plan» and «budget» again. w50 w51 w52…');
  // A phrase marks its occurrences only, not its words elsewhere.
  assert.equal(makeSnippet('plan B: the budget plan, then the plan.', parseSearchQuery('"budget plan"')), 'plan B: the «budget» «plan», then the plan.');
  // A short text is shown whole, its leading and trailing punctuation included; whitespace collapsed.
  assert.equal(makeSnippet('  "Budget\n\n  approved!"  ', parseSearchQuery('budget')), '"«Budget» approved!"');
});
