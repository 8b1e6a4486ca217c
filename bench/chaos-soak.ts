/**
 * The chaos soak, by hand (issue 22, part 3): the same run as test/hardening/chaos.test.ts
 * (test/hardening/lib/chaos-*.ts), longer. Needs redis-server, the test PostgreSQL, ffmpeg, the built
 * CLI (npx tsc -p tsconfig.build.json), and root for the tmpfs data dir (else no disk-full fault).
 *
 *   node --import tsx bench/chaos-soak.ts [--minutes 30] [--seed 22] [--slot-sec 60] [--faults disk-full,kill-server] [--record]
 *
 * Prints the fault moments, recovery per fault kind (median, max) and the accounting of accepted jobs;
 * exits 1 when an invariant failed.
 */
import { parseArgs } from 'node:util';
import type { FaultKind } from '../test/hardening/lib/chaos-faults.js';
import { recoveryTable, runChaos } from '../test/hardening/lib/chaos-run.js';
import { fmt, markdownTable, positiveNumber, recordResults } from './lib.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string', default: '22' },
    'slot-sec': { type: 'string', default: '60' },
    faults: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});
const minutes = positiveNumber(values.minutes, '--minutes', 30);
const seed = positiveNumber(values.seed, '--seed', 22);
const slotSec = positiveNumber(values['slot-sec'], '--slot-sec', 60);

const kinds = values.faults ? (values.faults.split(',') as FaultKind[]) : undefined;
const report = await runChaos({ seed, durationSec: minutes * 60, slotSec, ...(kinds ? { kinds } : {}), log: (line) => console.error(line) });
const failures = [
  ...report.stuck.map((id) => `stuck: ${id}`),
  ...report.lost.map((id) => `lost: ${id}`),
  ...report.wrongTranscript.map((id) => `transcript differs from the calm run: ${id}`),
  ...report.failedUnactionable.map((line) => `failed without an actionable reason: ${line}`),
  ...report.duplicateSegmentWrites.map((d) => `segment ${d.job}#${d.idx} stored ${d.writes} times`),
  ...report.faults.filter((f) => f.recoveryMs === null).map((f) => `no recovery after ${f.kind} at ${f.startedSec} s`),
  ...report.serverErrors.map((line) => `500: ${line}`),
];
const body = [
  `Seed ${seed}, ${minutes} min, one fault per ${slotSec} s slot; 2 workers, 3 jobs in flight (30 s clips, 10 s segments, the fake OpenAI backend); data dir ${report.tmpfs ? 'on a 64 MiB tmpfs' : 'NOT on a tmpfs (disk-full skipped)'}.`,
  '',
  markdownTable(
    ['fault', 'count', 'recovery median s', 'recovery max s', 'unrecovered'],
    recoveryTable(report.faults).map((r) => [r.kind, r.count, fmt(r.medianSec, 1), fmt(r.maxSec, 1), r.unrecovered]),
  ),
  '',
  markdownTable(
    ['accepted jobs', 'completed (= calm transcript)', 'failed (code: n)', 'lost', 'stuck', 'duplicated segment writes', 'wrong transcripts', '500 answers'],
    [[report.accepted, report.completed, JSON.stringify(report.failed), report.lost.length, report.stuck.length, report.duplicateSegmentWrites.length, report.wrongTranscript.length, report.serverErrors.length]],
  ),
  '',
  `Fault moments (s from the start of the load): ${report.faults.map((f) => `${f.startedSec.toFixed(0)} ${f.kind} (${f.recoveryMs === null ? 'no recovery' : (f.recoveryMs / 1000).toFixed(1) + ' s'})`).join(', ')}.`,
  '',
  `Submissions refused meanwhile: ${JSON.stringify(report.refusals)}.`,
  failures.length ? `\nInvariant failures:\n${failures.map((f) => `- ${f}`).join('\n')}` : '\nInvariants: all held.',
].join('\n');
console.log(body);
if (report.stackTraces.length) console.log(`\nstack traces in stderr:\n${report.stackTraces.join('\n---\n')}`);
if (values.record) recordResults('chaos under load (bench/chaos-soak.ts)', body);
process.exit(failures.length ? 1 : 0);
