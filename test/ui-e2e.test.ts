/**
 * The web UI end to end in Debian's chromium (playwright-core) against a real `parascribe serve` with
 * pocketsphinx: sign in, upload a recording and watch it work (segments in order, the timeline
 * filling, the waveform), click a word and check the player's time, download srt, ask a question (a
 * fake chat server as the LLM), search and land at the hit's time, cancel a job, and a second key that
 * sees none of it. Never a CSP violation, page error or dialog. Screenshots of the job page and the
 * dashboard go to $PARASCRIBE_SCREENSHOTS (docs/ui to refresh the README's), else a temp dir.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeChatServer, type FakeChatServer } from './fakes/fake-chat-server.js';
import { FIXTURES, tempDir } from './helpers/cli.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, type RunningServer } from './helpers/server.js';
import { launchBrowser, noBrowser, signIn, until, watchedPage, type WatchedPage } from './helpers/browser.js';

const GPL = join(FIXTURES, 'gpl-preamble.mp3');
const SHOTS = process.env.PARASCRIBE_SCREENSHOTS ?? tempDir('ui-shots');

const audioTime = (page: Page) => page.evaluate(() => document.querySelector('audio')!.currentTime);

describe('web UI in chromium', { skip: noBrowser, timeout: 600_000 }, () => {
  let server: RunningServer;
  let chat: FakeChatServer;
  let browser: Browser;
  let context: BrowserContext;
  let alice: WatchedPage;
  let jobId: string;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    chat = await startFakeChatServer({ chunkDelayMs: 20 });
    server = await startServer({ env: { PARASCRIBE_CACHE: '0', PARASCRIBE_LLM_BASE_URL: chat.url, PARASCRIBE_LLM_MODEL: 'fake-chat-1' } });
    browser = await launchBrowser();
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    alice = await watchedPage(context);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await chat?.close();
  });

  it('signs in with a key (a wrong one is refused)', async () => {
    const { page } = alice;
    await page.goto(`${server.url}/`);
    await page.getByLabel('API key').fill('not-a-key-0000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not accept' }).waitFor();
    await signIn(page, server.url, TEST_KEYS[0]!);
    assert.equal(await page.evaluate(() => location.href.includes('key')), false);
  });

  it('uploads a file with a progress bar; the job page shows segments in order, the timeline filling, the waveform', async () => {
    const { page } = alice;
    await page.goto(`${server.url}/#/new`);
    await page.getByLabel('Segment size (s)').fill('30');
    await page.setInputFiles('#file-input', GPL);
    await page.locator('.upload progress').waitFor();
    await page.getByRole('link', { name: 'Open job' }).click();
    jobId = await until('the job page', async () => /#\/jobs\/(j\w+)/.exec(page.url())?.[1]);
    const snapshots: Array<{ blocks: string[]; bars: number; running: number; status: string; waveform: boolean }> = [];
    await until(
      'the job to complete',
      async () => {
        const snap = await page.evaluate(() => ({
          blocks: [...document.querySelectorAll<HTMLElement>('.transcript .block')].map((b) => b.dataset.block!),
          bars: document.querySelectorAll('.timeline rect.bar').length,
          running: document.querySelectorAll('.timeline rect.bar.running').length,
          status: document.querySelector('.job-head .status')?.textContent ?? '',
          waveform: !!document.querySelector('.waveform div')?.shadowRoot?.querySelector('canvas'),
        }));
        snapshots.push(snap);
        return snap.status === 'completed' && snap.blocks[0]?.startsWith('f');
      },
      300_000,
      150,
    );
    const live = snapshots.filter((s) => s.status !== 'completed' && s.blocks.length > 0 && s.blocks[0]!.startsWith('s'));
    for (const s of live) assert.deepEqual(s.blocks, s.blocks.map((_, i) => `s${i}`), 'segments appear in order, each once');
    const counts = new Set(live.map((s) => s.blocks.length));
    assert.ok(counts.size >= 2, `the transcript grew segment by segment while running (saw ${[...counts]})`);
    const final = snapshots.at(-1)!;
    const segments = (await (await fetch(`${server.url}/v1/jobs/${jobId}/segments`, { headers: authHeaders() })).json()) as { data: unknown[] };
    assert.ok(segments.data.length >= 5, `${segments.data.length} segments of 30 s`);
    assert.equal(final.bars, segments.data.length, 'one bar per segment once done');
    assert.ok(snapshots.some((s) => s.running > 0), 'running bars were drawn');
    assert.ok(snapshots.some((s) => s.bars > 0 && s.bars < final.bars), 'the timeline filled while the job ran');
    assert.ok(snapshots.some((s) => s.status !== 'completed' && s.waveform), 'the waveform was drawn before the job ended');
    assert.equal(await page.locator('.timeline rect.bar.first').getAttribute('data-index'), '0', 'the first-words segment is marked');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'job-page.png'), fullPage: true });
  });

  it('a click on a word seeks the player there and highlights it; the keyboard does the same', async () => {
    const { page } = alice;
    const word = page.locator('.transcript .w').nth(40);
    const start = Number(await word.getAttribute('data-s'));
    await word.click();
    await until('the player at the word', async () => Math.abs((await audioTime(page)) - start) < 0.3);
    await page.evaluate(() => document.querySelector('audio')!.pause());
    await until('the word highlighted', async () => (await word.getAttribute('class'))?.includes('current'));
    await word.focus();
    await page.keyboard.press('ArrowRight');
    const next = Number(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.s));
    await page.keyboard.press('Enter');
    await until('the player at the next word', async () => Math.abs((await audioTime(page)) - next) < 0.3);
    await page.evaluate(() => document.querySelector('audio')!.pause());
  });

  it('downloads the srt', async () => {
    const { page } = alice;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'srt', exact: true }).click()]);
    assert.equal(download.suggestedFilename(), 'gpl-preamble.srt');
    const srt = readFileSync((await download.path())!, 'utf8');
    const api = await (await fetch(`${server.url}/v1/jobs/${jobId}/transcript?format=srt`, { headers: authHeaders() })).text();
    assert.match(srt, /^1\n00:00:\d\d,\d{3} --> /);
    assert.equal(srt, api);
  });

  it('asks a question: the answer streams in, its citations seek the player', async () => {
    const { page } = alice;
    await page.getByLabel('Question').fill('What is this recording about?');
    await page.getByRole('button', { name: 'Ask' }).click();
    // The answer just asked (not the collapsed list of earlier questions).
    const citation = page.locator('.ask > .answer .citation').last();
    await citation.waitFor({ timeout: 60_000 });
    assert.match((await page.locator('.ask > .answer .answer-text').textContent()) ?? '', /Seen \d+ markers/);
    const sec = Number(await citation.getAttribute('data-sec'));
    assert.ok(sec > 0);
    await citation.click();
    await until('the player at the citation', async () => Math.abs((await audioTime(page)) - sec) < 0.5);
    await page.evaluate(() => document.querySelector('audio')!.pause());
  });

  it('searches the transcripts; a hit opens the job page at its time', async () => {
    const { page } = alice;
    const words = ((await page.locator('.transcript .text').textContent()) ?? '').toLowerCase().match(/[a-z]{6,}/g) ?? [];
    const word = words[Math.floor(words.length / 2)]!;
    await page.goto(`${server.url}/#/search`);
    await page.getByLabel('Search your transcripts').fill(word);
    await page.getByRole('button', { name: 'Search' }).click();
    const hit = page.locator('.hits a').first();
    await hit.waitFor();
    assert.ok(((await page.locator('.hits mark').first().textContent()) ?? '').length > 0, 'the match is marked');
    await hit.click();
    const t = Number(await until('a ?t= link', async () => new URL(page.url().replace('#/', '')).searchParams.get('t')));
    await page.locator('.transcript .w').first().waitFor();
    await until('the player at the hit', async () => Math.abs((await audioTime(page)) - t) < 1);
  });

  it('an upload can be cancelled half-way: its progress bar stops, no job is created', async () => {
    const { page } = alice;
    await page.goto(`${server.url}/#/new`);
    // A slow uplink (100 KB/s), so the 1.2 MB upload is still going when Cancel is clicked.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 100 * 1024 });
    try {
      await page.setInputFiles('#file-input', { name: 'slow-upload.mp3', mimeType: 'audio/mpeg', buffer: readFileSync(GPL) });
      const progress = page.locator('.upload.uploading progress');
      await until('some of the upload sent', async () => Number(await progress.getAttribute('value')) > 0, 30_000);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('.upload.cancelled').waitFor();
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    const jobs = (await (await fetch(`${server.url}/v1/jobs`, { headers: authHeaders() })).json()) as { data: Array<{ source_name: string }> };
    assert.deepEqual(jobs.data.map((j) => j.source_name), ['gpl-preamble.mp3'], 'the cancelled upload made no job');
  });

  it('cancels a running job from the jobs list', async () => {
    const { page } = alice;
    const { body } = await submitFile(server.url, GPL, { segment_sec: '30' }, TEST_KEYS[0], 'to-cancel.mp3');
    await page.goto(`${server.url}/#/jobs`);
    await page.getByRole('button', { name: 'Cancel to-cancel.mp3' }).click();
    await page.locator(`tr[data-job="${body.id}"] .status`, { hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
  });

  it("the dashboard shows the caller's numbers", async () => {
    const { page } = alice;
    await page.goto(`${server.url}/#/dashboard`);
    const jobs = page.locator('.cards div', { hasText: /^Jobs/ }).locator('dd');
    await jobs.waitFor();
    assert.equal(await jobs.textContent(), '2');
    assert.ok((await page.locator('.chart rect.bar.completed:not([height="0"])').count()) >= 1, 'this hour has a bar');
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
  });

  it('is usable at a phone width (no sideways scrolling on the job page)', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const { page, problems } = await watchedPage(phone);
    await signIn(page, server.url, TEST_KEYS[0]!);
    await page.goto(`${server.url}/#/jobs/${jobId}`);
    await page.locator('.transcript .w').first().waitFor();
    await page.locator('.timeline rect.bar').first().waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1), 'no horizontal overflow');
    assert.deepEqual(problems, []);
    await phone.close();
  });

  it("a second key sees none of the first key's jobs, not even by their URL", async () => {
    const other = await browser.newContext();
    const { page, problems } = await watchedPage(other);
    await signIn(page, server.url, TEST_KEYS[1]!);
    await page.getByText('No jobs yet.').waitFor();
    await page.goto(`${server.url}/#/jobs/${jobId}`);
    await page.getByRole('alert').filter({ hasText: 'No such job' }).waitFor();
    const status = await page.evaluate(async (id) => {
      const key = sessionStorage.getItem('parascribe.apiKey');
      return (await fetch(`/v1/jobs/${id}/audio`, { headers: { Authorization: `Bearer ${key}` } })).status;
    }, jobId);
    assert.equal(status, 404);
    assert.deepEqual(problems, []);
    await other.close();
  });

  it('a --no-auth loopback server needs no sign-in', async () => {
    const open = await startServer({ args: ['--no-auth'] });
    const context = await browser.newContext();
    try {
      const { page, problems } = await watchedPage(context);
      await page.goto(`${open.url}/`);
      await page.getByRole('heading', { name: 'Jobs' }).waitFor();
      await page.getByText('no auth').waitFor();
      assert.equal(await page.getByLabel('API key').count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
      await open.stop();
    }
  });

  it('saw no page error, CSP violation or dialog', () => {
    assert.deepEqual(alice.problems, []);
    assert.deepEqual(alice.dialogs, []);
  });
});
