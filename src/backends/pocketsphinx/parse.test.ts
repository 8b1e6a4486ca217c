import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePocketsphinxOutput } from './parse.js';

const sample = `and then our my arm arrow
<s> 0.000 0.040 0.998900
and 0.050 0.160 0.032758
then 0.170 0.670 0.213530
our(3) 0.680 0.980 0.207841
</s> 2.310 2.440 1.000000

<s> 2.500 2.600 1.000000
<sil> 2.610 3.000 0.9
</s> 3.010 3.100 1.000000
and not
<s> 3.170 3.280 1.000300
and(2) 3.290 3.730 0.985603
[noise] 3.740 3.980 0.828680
++breath++ 3.990 4.000 0.5
not 3.990 4.300 0.817730
</s> 4.310 4.760 1.000000
`;

test('pocketsphinx parser: utterances, words, fillers and alternate pronunciations', () => {
  const utterances = parsePocketsphinxOutput(sample);
  assert.equal(utterances.length, 2, 'the empty utterance is dropped');
  assert.equal(utterances[0]!.text, 'and then our');
  assert.deepEqual(
    utterances[0]!.words.map((w) => [w.word, w.startSec, w.endSec]),
    [
      ['and', 0.05, 0.16],
      ['then', 0.17, 0.67],
      ['our', 0.68, 0.98],
    ],
  );
  assert.equal(utterances[1]!.text, 'and not');
  assert.equal(utterances[1]!.startSec, 3.29);
  assert.equal(utterances[1]!.endSec, 4.3);
  assert.ok(utterances[1]!.words.every((w) => w.confidence! >= 0 && w.confidence! <= 1));
});

test('pocketsphinx parser: empty output and silence-only output give no utterances', () => {
  assert.deepEqual(parsePocketsphinxOutput(''), []);
  assert.deepEqual(parsePocketsphinxOutput('\n<s> 0.000 0.100 1.0\n</s> 0.110 0.900 1.0\n'), []);
});
