/**
 * The long HTTP fuzz, by hand (issue 22, part 2): the same generator and invariants as
 * test/hardening/fuzz.test.ts (test/hardening/lib/fuzz-*.ts), many more requests.
 *
 *   node --import tsx bench/fuzz.ts [--count 100000] [--seed 22] [--record]
 *
 * Prints requests, statuses, violations, throughput, peak RSS and open files; exits 1 on any violation.
 */
import { parseArgs } from 'node:util';
import { runFuzz } from '../test/hardening/lib/fuzz-run.js';
import { startFuzzTarget } from '../test/hardening/lib/fuzz-target.js';
import { markdownTable, positiveNumber, recordResults } from './lib.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '22' },
    record: { type: 'boolean', default: false },
  },
});
const count = positiveNumber(values.count, '--count', 100_000);
const seed = positiveNumber(values.seed, '--seed', 22);

const target = await startFuzzTarget();
let report;
try {
  report = await runFuzz(target, {
    seed,
    count,
    onProgress: (done, r) => {
      if (done % 5_000 === 0) console.error(`${done} requests, ${r.violationCount} violations, RSS ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MB`);
    },
  });
} finally {
  await target.close();
}
const statuses = Object.entries(report.byStatus)
  .sort(([a], [b]) => Number(a) - Number(b))
  .map(([status, n]) => `${status}: ${n}`)
  .join(', ');
const body = [
  `Seed ${seed}; ${report.requests} generated requests from src/server/openapi.ts, sent in-process one at a time; invariants checked after each (test/hardening/lib/fuzz-invariants.ts).`,
  '',
  markdownTable(
    ['requests', 'violations', '500 answers', 'other 5xx (501 LLM_NOT_CONFIGURED, 502 URL_FETCH_FAILED: server-side)', 'wall s', 'req/s', 'jobs created', 'RSS start → peak MB', 'open files start → peak'],
    [
      [
        report.requests,
        report.violationCount,
        report.byStatus[500] ?? 0,
        Object.entries(report.byStatus)
          .filter(([s]) => Number(s) > 500)
          .reduce((n, [, c]) => n + c, 0),
        (report.wallMs / 1000).toFixed(1),
        Math.round(report.requests / (report.wallMs / 1000)),
        report.jobsCreated,
        `${report.startRssMb} → ${report.peakRssMb}`,
        `${report.startFds} → ${report.peakFds}`,
      ],
    ],
  ),
  '',
  `Statuses: ${statuses}.`,
].join('\n');
console.log(body);
for (const v of report.violations.slice(0, 20)) console.log(`#${v.n}: ${v.problem}\n    ${v.request}`);
if (values.record) recordResults('HTTP fuzz from the OpenAPI document (bench/fuzz.ts)', body);
process.exit(report.violationCount === 0 ? 0 : 1);
