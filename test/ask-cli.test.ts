/**
 * `parascribe ask` as a user runs it (the built CLI, a temp data dir, the FAKE chat server as the LLM):
 * a finished job, a running one, --json, `jobs show` listing the questions, the not-configured line
 * and its exit code, and a file transcribed first (real ffmpeg and pocketsphinx), then a cache hit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore } from '../src/store/registry.js';
import { seedJob } from './helpers/ask-jobs.js';
import { FIXTURES, runCli, tempDir } from './helpers/cli.js';
import { startFakeChatServer, type FakeChatServer } from './fakes/fake-chat-server.js';

describe('parascribe ask', { timeout: 300_000 }, () => {
  let chat: FakeChatServer;
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    chat = await startFakeChatServer();
    dataDir = tempDir('ask-cli');
    env = { PARASCRIBE_DATA_DIR: dataDir, PARASCRIBE_CONFIG: '', XDG_CONFIG_HOME: join(dataDir, 'no-config'), PARASCRIBE_LLM_BASE_URL: chat.url, PARASCRIBE_LLM_MODEL: 'fake-chat-1' };
    const store = await openStore({ dataDir });
    await seedJob(store, { id: 'jclidone01', segments: 3 });
    await seedJob(store, { id: 'jclirun02', segments: 5, status: 'running', finished: [0, 1] });
    await store.close();
  });
  after(() => chat.close());

  test('a finished job (by id prefix): the answer streams to stdout over the whole transcript; the context line and tokens on stderr', async () => {
    const run = await runCli(['ask', 'jclidone', 'what', 'was', 'said?'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Seen 9 markers from [00:00:00] to [00:02:40]; the first passage begins "segment", the last "segment".\n');
    assert.match(run.stderr, /job jclidone01: auto → full .*the whole transcript/);
    assert.match(run.stderr, /fake-chat-1: \d+ tokens in, \d+ out, \$0\.000000; 2 citation\(s\) checked/);
    assert.equal(chat.requests().at(-1)!.messages.at(-1)!.content.endsWith('Question: what was said?'), true);
  });

  test('a running job: the answer covers the finished prefix and says so first', async () => {
    const run = await runCli(['ask', 'jclirun02', 'so far?', '-q'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^Covers 0:00–2:00 of 5:00 \(still transcribing\)\.\n\nSeen 6 markers from \[00:00:00\] to \[00:01:40\]/);
  });

  test('--json: one object with answer, citations, coverage, tokens and cost; jobs show lists the questions', async () => {
    const run = await runCli(['ask', 'jclidone01', '--json', '--strategy', 'retrieve', 'remark 2?'], env);
    assert.equal(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as Record<string, any>;
    assert.equal(answer.job_id, 'jclidone01');
    assert.equal(answer.strategy, 'retrieve');
    assert.equal(answer.coverage.complete, true);
    assert.ok(answer.citations.length > 0 && answer.usage.input_tokens > 0);
    assert.equal(typeof answer.cost_usd, 'number');
    const show = await runCli(['jobs', 'show', 'jclidone01'], env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /questions \(parascribe ask\)\n {2}q\S+ .* full · fake-chat-1 · \d+ in \/ \d+ out · \$0\.000000 · 2 citation\(s\)\n {4}Q: what was said\?\n {4}A: Seen 9 markers/);
    assert.match(show.stdout, /retrieve · fake-chat-1 .*\n {4}Q: remark 2\?/);
    const json = JSON.parse((await runCli(['jobs', 'show', 'jclidone01', '--json'], env)).stdout) as { questions: Array<{ question: string }> };
    assert.deepEqual(json.questions.map((q) => q.question), ['what was said?', 'remark 2?']);
  });

  test('no LLM configured: one line naming the settings, exit 27; a bad strategy is a usage error', async () => {
    // Empty values count as unset (and override any inherited from the environment).
    const run = await runCli(['ask', 'jclidone01', 'x'], { ...env, PARASCRIBE_LLM_BASE_URL: '', PARASCRIBE_LLM_MODEL: '' });
    assert.equal(run.code, 27);
    assert.match(run.stderr, /^parascribe: error\[LLM_NOT_CONFIGURED\]: no LLM configured for ask: set PARASCRIBE_LLM_BASE_URL \(llm.baseURL\) and PARASCRIBE_LLM_MODEL \(llm.model\)/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.equal((await runCli(['ask', 'jclidone01', '--strategy', 'guess', 'x'], env)).code, 2);
    assert.equal((await runCli(['ask', 'jnosuchjob', 'x'], env)).code, 13);
  });

  test('a file: transcribed first, then answered; asking again is a cache hit', async () => {
    const audio = join(FIXTURES, 'jfk.wav');
    const first = await runCli(['ask', audio, 'what should you ask?', '-q'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Seen \d+ markers from \[00:00:0\d\]/);
    const prompt = chat.requests().at(-1)!.messages.at(-1)!.content.toLowerCase();
    assert.match(prompt, /country/, 'the real transcript was the context');
    const again = await runCli(['ask', audio, 'what should you ask?', '-q'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, first.stdout);
    const store = await openStore({ dataDir });
    try {
      const jobs = (await store.listJobs(10)).filter((j) => j.source.endsWith('jfk.wav'));
      assert.deepEqual(jobs.map((j) => j.cache_hit).sort(), [0, 1]);
    } finally {
      await store.close();
    }
  });
});
