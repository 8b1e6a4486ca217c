/**
 * Job lifecycle in `parascribe serve`: DELETE aborts a running job's segments (their processes end,
 * nothing is left running); a webhook receives the signed summary when a job ends; SIGTERM returns a
 * running job to the queue and the next start finishes it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../src/service/webhook/index.js';
import { FIXTURES, ffmpeg, tempDir } from './helpers/cli.js';
import { authHeaders, startServer, submitFile, waitForJob, type RunningServer } from './helpers/server.js';

const SECRET = 'webhook-secret-0123456789';

/** pids of the server's descendants (pocketsphinx, ffmpeg). */
function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = out.split('\n').filter(Boolean).map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('parascribe serve: cancel, webhook, graceful stop', { timeout: 300_000 }, () => {
  let dir: string;
  let config: string;
  let audio: string;
  let receiver: Server;
  let receiverPort: number;
  const deliveries: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];

  before(async () => {
    dir = tempDir('lifecycle');
    audio = join(dir, 'talk.wav');
    ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-t', '120', '-ar', '16000', '-ac', '1', audio]);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverPort = (receiver.address() as AddressInfo).port;
    config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ serve: { webhookSecret: SECRET, url: { allow: ['localhost'] } } }));
  });

  after(() => receiver?.close());

  it('DELETE aborts the running segments: the job is cancelled and no engine process is left', async () => {
    const server: RunningServer = await startServer({ env: { PARASCRIBE_CONFIG: config, PARASCRIBE_CACHE: '0' } });
    try {
      const { body } = await submitFile(server.url, audio, { segment_sec: '60' });
      await waitFor('a running segment', async () => {
        const job = (await (await fetch(`${server.url}/v1/jobs/${body.id}`, { headers: authHeaders() })).json()) as { progress: { stage: string } };
        return job.progress.stage === 'transcribing' && descendants(server.child.pid!).length > 0 ? true : undefined;
      });
      const response = await fetch(`${server.url}/v1/jobs/${body.id}`, { method: 'DELETE', headers: authHeaders() });
      assert.equal(response.status, 200);
      const job = (await response.json()) as { status: string; progress: { segments_done: number; segments_total: number } };
      assert.equal(job.status, 'cancelled');
      assert.ok(job.progress.segments_done < job.progress.segments_total, 'cancelled before the end');
      assert.deepEqual(descendants(server.child.pid!), [], 'no pocketsphinx/ffmpeg left running');
      // A second DELETE is harmless.
      assert.equal((await fetch(`${server.url}/v1/jobs/${body.id}`, { method: 'DELETE', headers: authHeaders() })).status, 200);
      const transcript = await fetch(`${server.url}/v1/jobs/${body.id}/transcript`, { headers: authHeaders() });
      assert.equal(transcript.status, 409);
    } finally {
      await server.stop();
    }
  });

  it('a webhook receives the signed job summary when the job completes', async () => {
    const server = await startServer({ env: { PARASCRIBE_CONFIG: config } });
    try {
      const { body } = await submitFile(server.url, join(FIXTURES, 'jfk.wav'), { webhook_url: `http://localhost:${receiverPort}/hook` });
      await waitForJob(server.url, body.id);
      const delivery = await waitFor('the webhook', async () => deliveries.find((d) => d.body.includes(body.id)));
      assert.equal(delivery.headers['parascribe-event'], 'job.completed');
      assert.ok(verifyWebhook(SECRET, String(delivery.headers['parascribe-signature']), delivery.body));
      assert.ok(!verifyWebhook('another-secret-0123456789', String(delivery.headers['parascribe-signature']), delivery.body));
      const payload = JSON.parse(delivery.body) as { event: string; job: { id: string; status: string } };
      assert.equal(payload.job.status, 'completed');
    } finally {
      await server.stop();
    }
  });

  it('SIGTERM puts a running job back in the queue; the next start completes it', async () => {
    const dataDir = tempDir('sigterm');
    const first = await startServer({ dataDir, env: { PARASCRIBE_CONFIG: config, PARASCRIBE_CACHE: '0' } });
    const { body } = await submitFile(first.url, audio, { segment_sec: '30' });
    // A failed wait must not leave the server running (it would keep this test file alive).
    await waitFor('a finished segment', async () => {
      const job = (await (await fetch(`${first.url}/v1/jobs/${body.id}`, { headers: authHeaders() })).json()) as { progress: { segments_done: number } };
      return job.progress.segments_done >= 1 ? true : undefined;
    }).catch(async (error: unknown) => {
      await first.stop();
      throw error;
    });
    await first.stop();
    assert.equal((await first.exited).code, 0);
    const second = await startServer({ dataDir, env: { PARASCRIBE_CONFIG: config, PARASCRIBE_CACHE: '0' } });
    try {
      assert.match(second.stderr(), new RegExp(`resuming 1 unfinished job\\(s\\): ${body.id}`));
      const job = await waitForJob(second.url, body.id);
      assert.equal(job.status, 'completed');
      assert.ok(job.telemetry.segments_reused >= 1 || job.progress.segments_done === job.progress.segments_total);
    } finally {
      await second.stop();
    }
  });
});
