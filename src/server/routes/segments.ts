/**
 * Segment audio for queue workers (distributed mode): `GET /internal/v1/segments/:jobId/:index` with a
 * signed query (queue/bullmq/segment-url.ts) streams that segment of the job's decoded recording as a
 * 16 kHz mono WAV. The signature is the credential; no API key is involved, and a URL names one
 * segment only. Not mounted unless the deployment has a worker secret.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { SAMPLE_RATE } from '../../audio/decode.js';
import { wavHeader } from '../../audio/segment-audio.js';
import { verifySegmentUrl } from '../../queue/bullmq/segment-url.js';
import type { AuthEnv } from '../auth/index.js';

export function segmentAudioRoutes(dataDir: string, secret: string): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/:jobId/:index', async (c) => {
    const verified = verifySegmentUrl(secret, c.req.param('jobId'), c.req.param('index'), (name) => c.req.query(name));
    if (!verified.ok) {
      return c.json({ error: { code: 'UNAUTHORIZED', message: `segment URL refused: ${verified.reason}` } }, verified.reason === 'malformed' ? 400 : 403);
    }
    const { jobId, startSec, endSec } = verified.ref;
    // The id passed the URL check ([a-z0-9]), so it is a plain directory name.
    const pcmPath = join(dataDir, 'work', jobId, 'audio.pcm');
    const size = await stat(pcmPath).then((s) => s.size, () => undefined);
    if (size === undefined) return c.json({ error: { code: 'JOB_NOT_FOUND', message: `job ${jobId} holds no decoded audio (finished or not started)` } }, 410);
    const startByte = Math.min(size, Math.floor(startSec * SAMPLE_RATE) * 2);
    const endByte = Math.min(size, Math.floor(endSec * SAMPLE_RATE) * 2);
    const dataBytes = Math.max(0, endByte - startByte);
    const pcm = dataBytes > 0 ? createReadStream(pcmPath, { start: startByte, end: endByte - 1 }) : Readable.from([]);
    const body = Readable.from(
      (async function* () {
        yield wavHeader(dataBytes);
        yield* pcm;
      })(),
    );
    return new Response(Readable.toWeb(body) as ReadableStream, {
      headers: { 'Content-Type': 'audio/wav', 'Content-Length': String(44 + dataBytes), 'Cache-Control': 'no-store' },
    });
  });
  return app;
}
