/**
 * Segment audio in the shared store: before a segment's task is queued, its PCM (exactly the bytes
 * this server's URL would serve) is put in a blob, so that whichever API server a worker's URL
 * reaches can answer it (server/routes/segments.ts), including after the job's server died. The blob
 * goes when the segment is done with, or with its job (BlobStore.sweep).
 */
import type { SegmentAudio } from '../../audio/segment-audio.js';
import { BYTES_PER_SEC } from '../../audio/decode.js';
import type { SegmentTask } from '../../core/types.js';
import { blobId, type BlobStore } from '../../store/blobs.js';
import type { SegmentAudioStore } from './dispatcher.js';

export function sharedSegmentAudio(blobs: BlobStore): SegmentAudioStore {
  return {
    async put(task: SegmentTask, audio: SegmentAudio) {
      const id = blobId.segment(task.jobId, task.index);
      const expected = Math.round(audio.durationSec * BYTES_PER_SEC);
      // A job taken over re-dispatches its open segments: their audio (the same bytes) is there already.
      const existing = await blobs.info(id);
      if (existing?.state === 'complete' && existing.sizeBytes === expected) return;
      await blobs.write(id, { kind: 'segment', jobId: task.jobId, writer: null }, audio.openPcm(), { complete: true });
    },
    async drop(task: SegmentTask) {
      await blobs.remove(blobId.segment(task.jobId, task.index));
    },
  };
}
