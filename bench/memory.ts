/**
 * Peak memory of `parascribe transcribe` on a ≥ 2-hour file: samples /proc every 200 ms for the RSS of
 * the node process and of its whole process tree (ffmpeg, pocketsphinx_continuous, ...).
 * Usage: node --import tsx bench/memory.ts [--file X] [--segment-sec 360] [--concurrency N]
 * [--decode-only] [--interval-ms 200] [--record]
 * --decode-only passes --plan-only: probe, decode, detect pauses and print the plan, no transcription.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  REPO_ROOT, WORK_DIR, die, ensureLongAudio, fmt, markdownTable, parseJsonSummary, positiveNumber,
  probeDurationSec, readText, recordResults, requireCli, requireFile, runTimed,
} from './lib.js';

const { values: flags } = parseArgs({
  options: {
    file: { type: 'string' },
    'segment-sec': { type: 'string' },
    concurrency: { type: 'string' },
    'decode-only': { type: 'boolean', default: false },
    'interval-ms': { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(readText(fileURLToPath(import.meta.url)).split('*/')[0]);
  process.exit(0);
}
const segmentSec = positiveNumber(flags['segment-sec'], '--segment-sec', 360);
const intervalMs = positiveNumber(flags['interval-ms'], '--interval-ms', 200);
const concurrency = flags.concurrency === undefined ? undefined : Math.round(positiveNumber(flags.concurrency, '--concurrency', 1));
if (!existsSync('/proc/self/status')) die('this benchmark reads /proc and needs Linux');

const cli = requireCli();
const audio = flags.file ? requireFile(flags.file, '--file') : ensureLongAudio('long-7200.wav', 7200).audio;
const audioSec = probeDurationSec(audio);

interface ProcInfo { name: string; rssKiB: number; hwmKiB: number; pssKiB: number }

/** Name, VmRSS and VmHWM (the kernel's own peak RSS) of one process; undefined once it has exited. */
function readProc(pid: number): ProcInfo | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { name: commandName(pid) ?? /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', rssKiB: field('VmRSS'), hwmKiB: field('VmHWM'), pssKiB: pssOf(pid) };
}

/** Proportional set size: shared pages (the model files every pocketsphinx maps) split between their users. */
function pssOf(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** basename of argv[0]: /proc's Name field is cut to 15 characters ("pocketsphinx_co"). */
function commandName(pid: number): string | undefined {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0 ? path.basename(argv0) : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of pid: /proc/<pid>/task/<tid>/children when the kernel has it, else a scan of /proc/<n>/stat. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    const children: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // comm may contain spaces
        if (ppid === pid) children.push(Number(entry));
      } catch {
        // exited while scanning
      }
    }
    return children;
  }
}

const peaks = { nodeRssKiB: 0, nodeHwmKiB: 0, treeRssKiB: 0, treePssKiB: 0, treeProcesses: 0, samples: 0 };
const peakByName = new Map<string, number>(); // largest single-process RSS seen per command name

function sample(rootPid: number): void {
  const root = readProc(rootPid);
  if (!root) return;
  let treeKiB = 0;
  let treePssKiB = 0;
  let processes = 0;
  const queue = [rootPid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const info = pid === rootPid ? root : readProc(pid);
    if (!info) continue;
    treeKiB += info.rssKiB;
    treePssKiB += info.pssKiB;
    processes++;
    if (pid !== rootPid) peakByName.set(info.name, Math.max(peakByName.get(info.name) ?? 0, info.rssKiB));
    queue.push(...childrenOf(pid));
  }
  peaks.samples++;
  peaks.nodeRssKiB = Math.max(peaks.nodeRssKiB, root.rssKiB);
  peaks.nodeHwmKiB = Math.max(peaks.nodeHwmKiB, root.hwmKiB);
  peaks.treeRssKiB = Math.max(peaks.treeRssKiB, treeKiB);
  peaks.treePssKiB = Math.max(peaks.treePssKiB, treePssKiB);
  peaks.treeProcesses = Math.max(peaks.treeProcesses, processes);
}

const outFile = path.join(WORK_DIR, 'memory-out.txt');
const args = [cli, 'transcribe', audio, '--no-cache', '--json', '--segment-sec', String(segmentSec)];
if (concurrency !== undefined) args.push('--concurrency', String(concurrency));
if (flags['decode-only']) args.push('--plan-only');
else args.push('-f', 'txt', '-o', outFile);

console.error(`audio: ${path.relative(process.cwd(), audio)} (${fmt(audioSec / 3600, 2)} h); node ${args.join(' ')}`);
let timer: NodeJS.Timeout | undefined;
const run = await runTimed(process.execPath, args, {
  cwd: REPO_ROOT,
  env: { ...process.env, PARASCRIBE_DATA_DIR: path.join(WORK_DIR, 'data') },
  onSpawn: (pid) => {
    sample(pid);
    timer = setInterval(() => sample(pid), intervalMs);
  },
}).catch((error: Error) => die(error.message));
clearInterval(timer);

const MiB = (kib: number) => fmt(kib / 1024, 0);
const summary = parseJsonSummary(run.stdout);
const rows: Array<[string, string]> = [
  ['mode', flags['decode-only'] ? 'decode only (--plan-only)' : 'transcribe'],
  ['audio', `${path.basename(audio)}, ${fmt(audioSec, 0)} s (${fmt(audioSec / 3600, 2)} h)`],
  ['settings', `--segment-sec ${segmentSec}${concurrency === undefined ? '' : ` --concurrency ${concurrency}`}`],
  ['wall s (spawn to exit)', fmt(run.wallSec, 1)],
  ['exit', String(run.exitCode ?? run.signal)],
  ['peak node RSS MiB (sampled)', MiB(peaks.nodeRssKiB)],
  ['peak node RSS MiB (kernel VmHWM)', MiB(peaks.nodeHwmKiB)],
  ['peak tree RSS MiB (sum over processes)', MiB(peaks.treeRssKiB)],
  ['peak tree PSS MiB (shared pages split between processes)', MiB(peaks.treePssKiB)],
  ['most processes in tree at once', String(peaks.treeProcesses)],
  ...[...peakByName].sort().map(([name, kib]): [string, string] => [`peak single ${name} RSS MiB`, MiB(kib)]),
  ['samples', `${peaks.samples} (every ${intervalMs} ms)`],
];
if (summary) rows.push(['CLI summary', `segments ${String(summary.segments ?? '?')}, parallelism ${String(summary.parallelism ?? '?')}, wallSec ${String(summary.wallSec ?? '?')}`]);

const report = [
  markdownTable(['metric', 'value'], rows),
  '',
  'Tree RSS adds each process\'s RSS, so pages shared between processes (e.g. the model files mapped by every pocketsphinx) count once per process: an upper bound.',
].join('\n');
console.log(`\n${report}`);
if (run.exitCode !== 0) {
  console.error(`\nparascribe failed (exit ${run.exitCode ?? run.signal}):\n${run.stderr.trim().split('\n').slice(-15).join('\n')}`);
  process.exitCode = 1;
}
if (flags.record) recordResults(`memory (bench/memory.ts${flags['decode-only'] ? ' --decode-only' : ''})`, report);
