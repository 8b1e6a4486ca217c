/**
 * Segment audio for queue workers (distributed mode): `GET /internal/v1/segments/:jobId/:index` with a
 * signed query (queue/bullmq/segment-url.ts) streams that segment of the job's decoded recording as a
 * 16 kHz mono WAV. The signature is the credential; no API key is involved, and a URL names one
 * segment only. Not mounted unless the deployment has a worker secret.
 *
 * Any API server answers: the one running the job reads its decoded recording on its own disk; any
 * other reads the copy the job's dispatcher put in the shared store (`blobs`, service/cluster/), so a
 * worker behind a load balancer, or one whose server died, still gets the same bytes.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { SAMPLE_RATE } from '../../audio/decode.js';
import { wavHeader } from '../../audio/segment-audio.js';
import { verifySegmentUrl } from '../../queue/bullmq/segment-url.js';
import { blobId, type BlobStore } from '../../store/blobs.js';
import type { AuthEnv } from '../auth/index.js';

function wavResponse(dataBytes: number, pcm: AsyncIterable<Uint8Array>): Response {
  const body = Readable.from(
    (async function* () {
      yield wavHeader(dataBytes);
      yield* pcm;
    })(),
  );
  return new Response(Readable.toWeb(body) as ReadableStream, {
    headers: { 'Content-Type': 'audio/wav', 'Content-Length': String(44 + dataBytes), 'Cache-Control': 'no-store' },
  });
}

export function segmentAudioRoutes(dataDir: string, secret: string, blobs?: BlobStore): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/:jobId/:index', async (c) => {
    const verified = verifySegmentUrl(secret, c.req.param('jobId'), c.req.param('index'), (name) => c.req.query(name));
    if (!verified.ok) {
      return c.json({ error: { code: 'UNAUTHORIZED', message: `segment URL refused: ${verified.reason}` } }, verified.reason === 'malformed' ? 400 : 403);
    }
    const { jobId, index, startSec, endSec } = verified.ref;
    // The id passed the URL check ([a-z0-9]), so it is a plain directory name.
    const pcmPath = join(dataDir, 'work', jobId, 'audio.pcm');
    const size = await stat(pcmPath).then((s) => s.size, () => undefined);
    const wantedEnd = Math.floor(endSec * SAMPLE_RATE) * 2;
    // This server's decode may be behind the segment (it took the job over and is decoding again, while
    // the task its first server queued is served): then the copy in the store is the segment's audio.
    if (size === undefined || size < wantedEnd) {
      const shared = blobs ? await blobs.info(blobId.segment(jobId, index)) : undefined;
      if (shared?.state === 'complete') return wavResponse(shared.sizeBytes, blobs!.read(blobId.segment(jobId, index)));
      if (size === undefined) return c.json({ error: { code: 'JOB_NOT_FOUND', message: `job ${jobId} holds no decoded audio (finished or not started)` } }, 410);
    }
    // The recording's end: the last segment's planned end may lie a little past the decoded bytes.
    const startByte = Math.min(size, Math.floor(startSec * SAMPLE_RATE) * 2);
    const endByte = Math.min(size, wantedEnd);
    const dataBytes = Math.max(0, endByte - startByte);
    const pcm = dataBytes > 0 ? createReadStream(pcmPath, { start: startByte, end: endByte - 1 }) : Readable.from([]);
    return wavResponse(dataBytes, pcm);
  });
  return app;
}
