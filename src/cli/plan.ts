/**
 * `parascribe plan <file>`: what `--segment-sec auto` would do with this recording, and why. Probes the
 * file (no decoding), takes the backend's latency prior and fits its job history (src/plan/latency/),
 * and prints the predicted wall-clock and time to first words of each candidate plan, the one it would
 * choose, the model's parameters, where they came from (the prior, history, or both and their
 * weights) and the blast-radius cap. With neither a prior nor a usable history it says so in one line
 * (INVALID_CONFIG) and prints the fixed size it would use instead.
 */
import { basename } from 'node:path';
import { checkAudioDuration } from '../audio/limits.js';
import { probeAudio } from '../audio/probe.js';
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { chooseChain } from '../pipeline/route.js';
import { resolveAutoPlan, type AutoPlan } from '../plan/latency/auto.js';
import type { Candidate } from '../plan/latency/choose.js';
import type { LatencyModel } from '../plan/latency/model.js';
import { openRuntime } from '../runtime.js';
import { fixed, formatClock, table } from './render.js';

export interface PlanCommandOptions {
  explain: boolean;
  json: boolean;
}

export interface PlanIo {
  stdout: NodeJS.WritableStream;
  signal: AbortSignal;
}

export async function planCommand(file: string, config: Config, options: PlanCommandOptions, io: PlanIo): Promise<number> {
  const runtime = await openRuntime(config);
  let plan: AutoPlan;
  let backend: string;
  try {
    // The primary backend a job would use (routing rules included); an unknown id fails here.
    const { chain } = chooseChain(config.routing, { language: config.language, priority: config.priority, explicitBackend: config.backend, fallback: [] });
    const primary = runtime.backends.get(chain[0]!);
    backend = primary.id;
    const info = await probeAudio(file, { signal: io.signal });
    checkAudioDuration(info, config.limits);
    if (info.durationSec === null || !(info.durationSec > 0)) {
      throw new ParascribeError('INVALID_ARGUMENT', `${file}: ffprobe gives no duration, which plan needs (transcribe decodes the file and plans with the fixed size)`);
    }
    plan = await resolveAutoPlan(runtime.store, config, backend, info.durationSec, io.signal, primary.capabilities.maxSegmentSec, primary.latencyPrior?.());
  } finally {
    await runtime.close();
  }
  io.stdout.write(options.json ? `${JSON.stringify(planJson(file, plan), null, 2)}\n` : renderPlan(file, plan, options.explain));
  if (plan.source === 'fixed') {
    const fit = plan.explain.fit;
    const why = fit.ok ? plan.reason : `${fit.message}${fit.reason === 'too-few-jobs' ? ' (autoPlan.minJobs)' : ''}`;
    throw new ParascribeError('INVALID_CONFIG', `no latency model for ${backend}: ${why}; transcribe would use the fixed ${plan.targetsSec[0]} s segments`);
  }
  return 0;
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function candidateJson(c: Candidate, chosen: Candidate) {
  const w = c.prediction.wallSec;
  return {
    label: c.label,
    kind: c.kind,
    chosen: c === chosen,
    withinCap: c.withinCap,
    targetsSec: c.targetsSec.map((t) => round(t)),
    segments: c.lengthsSec.length,
    concurrency: c.concurrency,
    wallSec: { median: round(w.medianSec, 2), p10: round(w.p10Sec, 2), p90: round(w.p90Sec, 2) },
    firstResultSec: round(c.prediction.firstResultSec, 2),
  };
}

export function planJson(file: string, plan: AutoPlan) {
  const { explain } = plan;
  const fit = explain.fit;
  const chosen = explain.choice?.chosen;
  return {
    file,
    durationSec: round(explain.durationSec),
    backend: explain.backend,
    source: plan.source,
    reason: plan.reason,
    targetsSec: plan.targetsSec.map((t) => round(t)),
    concurrency: plan.concurrency ?? null,
    chosen: chosen ? candidateJson(chosen, chosen) : null,
    cap: explain.cap,
    /** 'prior', 'history' or 'prior+history': where the model below came from. */
    basis: explain.basis,
    prior: explain.prior,
    modelSummary: explain.modelSummary,
    model: explain.model,
    fit: fit.ok ? { ...fit.quality, r2: round(fit.quality.r2, 4), rmseSec: round(fit.quality.rmseSec) } : { reason: fit.reason, message: fit.message, jobs: fit.jobs, skipped: fit.skipped },
    fixed: { ...explain.fixed, prediction: explain.fixed.prediction },
    candidates: chosen ? explain.choice!.candidates.map((c) => candidateJson(c, chosen)) : [],
  };
}

function modelLines(model: LatencyModel): string[] {
  const cold = model.coldStart;
  const coldLine =
    cold.kind === 'lognormal'
      ? `lognormal, median ${fixed(cold.medianSec)} s, σ ${fixed(cold.sigma, 2)}, p90 ${fixed(cold.p90Sec)} s (${cold.samplesSec.length} seen); ` +
        `first wave cold ${fixed(cold.firstWaveProbability * 100, 0)} %, later ${fixed(cold.laterProbability * 100, 0)} %`
      : cold.kind === 'every-request'
        ? 'every segment pays one (a process per segment): part of the overhead'
        : 'none seen';
  const extra = [
    ...(model.prepareSec ? [`  prepare    ${fixed(model.prepareSec, 1)} s: the backend's look at the recording holds a server, and every segment but the first waits for it`] : []),
    ...(model.contentNoise
      ? [`  content    compute per audio s varies along the recording: σ ${fixed(model.contentNoise.sigma, 2)} per ${fixed(model.contentNoise.blockSec, 0)} s block (the longest-segment tail)`]
      : []),
  ];
  return [
    `  k          ${model.k} segments at once${model.kBound === 'at-least' ? ' (at least: the history never had more in flight)' : ''}`,
    `  cold start ${coldLine}`,
    `  overhead   ${fixed(model.overhead.fixedSec, 2)} s + ${fixed(model.overhead.perAudioSec, 4)} s per audio s, per request`,
    `  RTF        ${fixed(model.rtf, 4)} (backend compute per audio s)`,
    `  client     ${fixed(model.client.fixedSec, 2)} s + ${fixed(model.client.perAudioSec, 4)} s per audio s ` +
      `(before the first dispatch: ${fixed(model.client.beforeFixedSec, 2)} s + ${fixed(model.client.beforePerAudioSec, 4)} s per audio s)`,
    `  spread     σ ${fixed(model.wallSigma, 3)} of ln(measured / modelled wall) left unexplained (load, network): it widens p10–p90`,
    ...extra,
  ];
}

/** Without --explain: the round sizes, a few even splits, the best boot wave per short size, and the choice. */
function shortList(candidates: readonly Candidate[], chosen: Candidate): Candidate[] {
  const bestBoot = new Map<string, Candidate>();
  for (const c of candidates.filter((x) => x.kind === 'boot-wave')) {
    const key = c.label.split(' + ')[0]!;
    const best = bestBoot.get(key);
    if (!best || c.prediction.wallSec.medianSec < best.prediction.wallSec.medianSec) bestBoot.set(key, c);
  }
  const evens = candidates.filter((c) => (c.kind === 'even' || c.kind === 'lead') && c.lengthsSec.length <= Math.max(8, 2 * c.concurrency));
  const picked = new Set([...evens, ...candidates.filter((c) => c.kind === 'round'), ...bestBoot.values(), chosen]);
  return candidates.filter((c) => picked.has(c));
}

export function renderPlan(file: string, plan: AutoPlan, explain: boolean): string {
  const { explain: x } = plan;
  const lines = [`${basename(file)}: ${fixed(x.durationSec)} s (${formatClock(x.durationSec)}) of audio, backend ${x.backend}`];
  const fit = x.fit;
  if (!x.model || !x.choice) {
    const lengths = x.fixed.lengthsSec;
    lines.push(`no latency model: ${fit.ok ? plan.reason : fit.message}`);
    lines.push(`would use the fixed ${x.fixed.segmentSec} s segments: ${lengths.length} segment(s) of about ${lengths.map((l) => fixed(l, 0)).join(', ')} s`);
    return `${lines.join('\n')}\n`;
  }
  const q = fit.ok ? fit.quality : undefined;
  const fitLine = q ? `${q.jobs} jobs, ${q.segments} segments (R² ${fixed(q.r2, 3)}, rms error ${fixed(q.rmseSec, 2)} s${q.skipped.length ? `; ${q.skipped.length} job(s) left out` : ''})` : '';
  const weight = `${fixed((x.prior?.historyWeight ?? 0) * 100, 0)} %`;
  if (x.basis === 'history') lines.push(`model from ${fitLine}`);
  else if (x.basis === 'prior') lines.push(`model from the backend's prior, not from history (${fit.ok ? 'history has no weight' : fit.message}): ${x.prior?.source ?? ''}`);
  else if (q) lines.push(`model from ${fitLine}, combined with the backend's prior (history weight ${weight}; prior: ${x.prior?.source ?? ''})`);
  else lines.push(`model: ${x.modelSummary ?? ''}`);
  lines.push(...modelLines(x.model));
  lines.push(
    `cap        no segment over ${fixed(x.cap.capSec, 0)} s (the smaller of ${x.cap.maxSegmentSec} s and ${fixed(x.cap.maxSegmentShare * 100, 0)} % of the recording; ${x.cap.minCapSec} s always allowed${x.cap.backendMaxSegmentSec !== undefined ? `; the backend takes at most ${fixed(x.cap.backendMaxSegmentSec, 0)} s (its upload limit)` : ''})`,
  );
  const { chosen, candidates } = x.choice;
  const shown = (explain ? [...candidates] : shortList(candidates, chosen)).sort((a, b) => a.lengthsSec.length - b.lengthsSec.length || a.label.localeCompare(b.label));
  const rows = shown.map((c) => [
    c === chosen ? '*' : '',
    c.label,
    String(c.lengthsSec.length),
    String(c.concurrency),
    fixed(c.prediction.wallSec.medianSec),
    `${fixed(c.prediction.wallSec.p10Sec)}–${fixed(c.prediction.wallSec.p90Sec)}`,
    fixed(c.prediction.firstResultSec),
    c.withinCap ? 'ok' : 'over',
  ]);
  lines.push('', table(['', 'plan', 'segments', 'concurrency', 'wall s (median)', 'p10–p90 s', 'first words s', 'cap'], rows), '');
  lines.push(`chosen: ${chosen.label}: targetsSec [${chosen.targetsSec.map((t) => fixed(t, 1)).join(', ')}], concurrency ${chosen.concurrency}`);
  if (x.basis === 'prior') lines.push(`the choice came from the prior: every completed job of ${x.backend} refines it (a prior worth ${x.prior?.weightJobs} jobs)`);
  const f = x.fixed.prediction;
  if (f) lines.push(`the fixed ${x.fixed.segmentSec} s (${x.fixed.lengthsSec.length} segments) would take ${fixed(f.wallSec.medianSec)} s (p10–p90 ${fixed(f.wallSec.p10Sec)}–${fixed(f.wallSec.p90Sec)} s)`);
  if (explain) {
    if (q) {
      lines.push('', 'fit: job walls, measured vs the fitted model (realised cold starts)');
      const residualRows = q.residuals.map((r) => [r.jobId, String(r.segments), fixed(r.durationSec), fixed(r.measuredSec, 2), fixed(r.predictedSec, 2), fixed(r.residualSec, 2)]);
      lines.push(table(['job', 'segments', 'audio s', 'wall s', 'model s', 'residual s'], residualRows));
      lines.push(`SSE by k: ${q.sseByK.map((s) => `${s.k}: ${fixed(s.sseSec2, 1)}`).join(', ')} s²`);
      for (const note of q.notes) lines.push(`note: ${note}`);
    }
    for (const s of fit.ok ? fit.quality.skipped : fit.skipped) lines.push(`left out: ${s.jobId}: ${s.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
