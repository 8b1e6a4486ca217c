/**
 * deploy/prometheus/alerts.yml: the rules parse and carry the seed study's thresholds; every metric
 * their expressions read is one a real server exports on /metrics, with the labels the expressions
 * group by (parascribe_shadow_wer comes from shadow sampling, src/service/rollout-metrics.ts, and is
 * accepted by name when this build does not export it); and, with promtool (Debian `prometheus`),
 * `promtool check rules` passes and `promtool test rules alerts.test.yml` drives each alert over its
 * threshold and sees it fire (and stay silent under it). Without promtool those two are skipped with
 * the reason, except under CI, where they fail.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../src/config/schema.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { createApp } from '../src/server/app.js';
import { TranscriptionService } from '../src/service/service.js';
import { ROOT } from './helpers/cli.js';

const RULES_DIR = join(ROOT, 'deploy', 'prometheus');
const RULES = join(RULES_DIR, 'alerts.yml');
const KEY = 'alert-rules-test-key-0123456789';
/** Exported once shadow sampling is configured (the canary/shadow work), not by every build. */
const PROVIDED_BY_SHADOW_SAMPLING = new Set(['parascribe_shadow_wer']);

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const byName = (name: string): Rule => rules.find((r) => r.alert === name)!;

const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const promtoolSkip = hasPromtool || inCi ? false : 'promtool not installed (Debian package prometheus); skipped outside CI';

test('the rules parse: one group, three alerts, each with a for, a severity and a summary', () => {
  assert.deepEqual(rules.map((r) => r.alert), ['ParascribeWerAboveBaseline', 'ParascribeErrorRateHigh', 'ParascribeSegmentLatencyHigh']);
  for (const rule of rules) {
    assert.match(rule.for, /^\d+[smh]$/, rule.alert);
    assert.ok(['warning', 'critical'].includes(rule.labels.severity!), rule.alert);
    assert.ok(rule.annotations.summary && rule.annotations.description, rule.alert);
  }
});

test("the seed study's thresholds: WER > 1.2 × its baseline, error rate > 5 %, latency > 60 s", () => {
  assert.match(byName('ParascribeWerAboveBaseline').expr, /\)\s*>\s*1\.2 \* \(/);
  assert.match(byName('ParascribeWerAboveBaseline').expr, /offset 1h/);
  assert.match(byName('ParascribeErrorRateHigh').expr, /\)\s*>\s*0\.05\b/);
  assert.match(byName('ParascribeSegmentLatencyHigh').expr, /histogram_quantile\(0\.95,.*\)\s*>\s*60\s*$/s);
});

let runtime: Runtime;
let service: TranscriptionService;
let dataDir: string;
let exposition: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parascribe-alert-rules-'));
  runtime = await openRuntime(configSchema.parse({ dataDir, serve: { apiKeys: [KEY] } }));
  service = new TranscriptionService({ runtime });
  // One failed and one completed job with a computed segment, so that the labelled series exist.
  const { store } = runtime;
  for (const [id, status] of [['jalert00001', 'completed'], ['jalert00002', 'failed']] as const) {
    await store.createJob({ id, source: `/in/${id}`, segmentSec: 60, backend: 'pocketsphinx', format: 'txt', language: 'en', priority: 'normal', options: {}, owner: 'k_x' });
    await store.insertSegments(id, [{ index: 0, startSec: 0, endSec: 60, cutAfter: 'end' }]);
    await store.markSegmentStarted(id, 0, 'pocketsphinx');
    await store.completeSegment(id, 0, { resultJson: JSON.stringify({ text: 'hello', utterances: [] }), computeSec: 3, coldStart: false, warningsJson: '[]', backend: 'pocketsphinx', costUsd: 0 });
    await store.updateJob(id, { status, started_at: 1_000, completed_at: 1_070, duration_sec: 60 });
    service.metrics.jobEnded((await store.getJob(id))!, await store.listSegments(id));
  }
  const response = await createApp(service).app.request('/metrics', { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(response.status, 200);
  exposition = await response.text();
});

after(async () => {
  await service?.stop();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** `# TYPE name kind` lines of the exposition. */
function exportedTypes(): Map<string, string> {
  return new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** A series name in an expression → the metric family that exports it (histograms: _bucket, _sum, _count). */
function familyOf(series: string, types: Map<string, string>): string | undefined {
  if (types.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return base !== series && ['histogram', 'summary'].includes(types.get(base) ?? '') ? base : undefined;
}

test('every metric the rules read is on /metrics with the labels they use (parascribe_shadow_wer: shadow sampling)', () => {
  const types = exportedTypes();
  const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\bparascribe_[a-z0-9_]+/g)].map((m) => m[0])));
  assert.ok(used.size >= 4, [...used].join(' '));
  for (const series of used) {
    const family = familyOf(series, types) ?? familyOf(series, new Map([...PROVIDED_BY_SHADOW_SAMPLING].map((n) => [n, 'histogram'])));
    assert.ok(family, `${series} is neither exported on /metrics nor provided by shadow sampling`);
    const samples = exposition.split('\n').filter((line) => line.startsWith(`${series}{`));
    if (PROVIDED_BY_SHADOW_SAMPLING.has(family!)) {
      // Accepted by name where this build has no shadow sampling; where it has, a histogram (with no
      // samples until a segment is shadowed).
      if (types.has(family!)) assert.equal(types.get(family!), 'histogram', family);
      continue;
    }
    // The labels each rule groups or filters by are on the series (the jobs above created them).
    const wanted = rules.filter((r) => r.expr.includes(series)).flatMap((r) => [...r.expr.matchAll(/by \(([^)]*)\)|\{(\w+)=~?"/g)].flatMap((m) => (m[1] ?? m[2]!).split(',').map((s) => s.trim())));
    assert.ok(samples.length > 0, `${series}: no samples`);
    for (const label of new Set(wanted)) assert.ok(samples.some((line) => line.includes(`${label}="`)), `${series} has no label ${label}`);
  }
  // The status values the error-rate rule counts are the ones the server writes.
  assert.match(exposition, /parascribe_job_duration_seconds_count\{status="failed"\} 1/);
  assert.match(exposition, /parascribe_job_duration_seconds_count\{status="completed"\} 1/);
});

test('promtool check rules', { skip: promtoolSkip }, () => {
  const run = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /SUCCESS: 3 rules found/);
});

test('promtool test rules: each alert fires over its threshold and stays silent under it', { skip: promtoolSkip }, () => {
  const run = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: RULES_DIR, encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /SUCCESS/);
  // Every alert has a test case in which it fires.
  const cases = readFileSync(join(RULES_DIR, 'alerts.test.yml'), 'utf8');
  for (const rule of rules) assert.match(cases, new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`), rule.alert);
});
