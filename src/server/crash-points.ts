/**
 * Fault injection for the durability tests: `PARASCRIBE_TEST_CRASH_AT` names a point at which the
 * server kills itself with SIGKILL (a real `kill -9`: no cleanup, no flush beyond what the OS
 * already has). Points: `upload:<bytes>`, `blob:<bytes>` (an upload being copied into a shared store), `stage:<probing|decoding|planning|transcribing|stitching|writing>`,
 * `segment:<n>` (after the n-th finished segment). Unset in production; nothing else reads it.
 */
import type { ServiceHooks } from '../service/run-service-job.js';

export function crashHooks(spec: string | undefined): ServiceHooks {
  if (!spec) return {};
  const [kind, value = ''] = spec.split(':');
  const die = (): never => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  };
  if (kind === 'upload') {
    const bytes = Number(value);
    return { onUploadBytes: (n) => (n >= bytes ? die() : undefined) };
  }
  if (kind === 'blob') {
    const bytes = Number(value);
    return { onBlobBytes: (n) => (n >= bytes ? die() : undefined) };
  }
  if (kind === 'stage') return { onStage: (_job, stage) => (stage === value ? die() : undefined) };
  if (kind === 'segment') {
    const n = Number(value);
    return { onSegmentDone: (_job, done) => (done >= n ? die() : undefined) };
  }
  throw new Error(`PARASCRIBE_TEST_CRASH_AT: unknown point ${spec}`);
}
