/**
 * Measures what pocketsphinx's latency prior (src/backends/pocketsphinx/priors.ts) is made of, on this
 * machine: the process start, the calibrated decoder's seconds per audio second with every core busy,
 * the uncalibrated calibration sample's, and how the speed varies from block to block of a recording.
 * Usage: node --import tsx bench/pocketsphinx-prior.ts [--file X.wav] [--block-sec 30] [--record]
 *
 * - process start: `pocketsphinx_continuous -infile <1 s of silence>`, 7 runs, CPU (user + sys) and wall;
 * - calibration: the 20 s sample at a tenth of the way in decoded with logging, its CMN made into a
 *   model directory as the backend does (calibrate.ts);
 * - blocks: every whole `--block-sec` block of the file decoded with that model, one process per core at
 *   once (as the job's pool runs them): each block's wall and CPU, less the process start, per audio
 *   second; σ of ln(that) across the blocks;
 * - the sample decoded uncalibrated, alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { calibratedModelDir, measureCmn } from '../src/backends/pocketsphinx/calibrate.js';
import { die, ensureLongAudio, fmt, markdownTable, median, positiveNumber, probeDurationSec, readText, recordResults, requireFile, requireTools, runTimed } from './lib.js';

const { values: flags } = parseArgs({
  options: {
    file: { type: 'string' },
    'block-sec': { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(readText(fileURLToPath(import.meta.url)).split('*/')[0]);
  process.exit(0);
}
requireTools('pocketsphinx_continuous', 'ffmpeg', 'ffprobe');
const wav = flags.file ? requireFile(flags.file, '--file') : ensureLongAudio('long-620.wav', 620).audio;
const blockSec = positiveNumber(flags['block-sec'], '--block-sec', 30);
const cores = os.availableParallelism();
const dir = mkdtempSync(path.join(os.tmpdir(), 'ps-prior-'));
const startLoad = os.loadavg().map((l) => l.toFixed(2)).join(' ');

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) die(`ffmpeg ${args.join(' ')} failed`);
}

/** One decode under /usr/bin/time: wall and CPU (user + sys) seconds. */
async function decode(file: string, hmm?: string): Promise<{ wallSec: number; cpuSec: number }> {
  const args = ['-f', '%U %S', 'pocketsphinx_continuous', '-infile', file, '-logfn', '/dev/null', ...(hmm ? ['-hmm', hmm] : [])];
  const run = await runTimed('/usr/bin/time', args, { captureStdout: false });
  if (run.exitCode !== 0) die(`pocketsphinx_continuous on ${file} failed: ${run.stderr.trim().split('\n').at(-1)}`);
  const [user, sys] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallSec: run.wallSec, cpuSec: user! + sys! };
}

try {
  const durationSec = probeDurationSec(wav);
  ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '1', '-c:a', 'pcm_s16le', path.join(dir, 'silence.wav')]);
  const starts: Array<{ wallSec: number; cpuSec: number }> = [];
  for (let i = 0; i < 7; i++) starts.push(await decode(path.join(dir, 'silence.wav')));
  const startCpu = median(starts.map((s) => s.cpuSec));
  const startWall = median(starts.map((s) => s.wallSec));

  const sample = path.join(dir, 'sample.wav');
  ffmpeg(['-ss', String(durationSec * 0.1), '-t', '20', '-i', wav, '-c:a', 'pcm_s16le', sample]);
  const cmn = await measureCmn('pocketsphinx_continuous', sample, [], AbortSignal.timeout(120_000));
  if (!cmn) die('the calibration sample logged no CMN');
  const hmm = await calibratedModelDir('/usr/share/pocketsphinx/model/en-us/en-us', cmn);
  const sampleRun = await decode(sample);

  const blocks = Math.floor(durationSec / blockSec);
  for (let i = 0; i < blocks; i++) ffmpeg(['-ss', String(i * blockSec), '-t', String(blockSec), '-i', wav, '-c:a', 'pcm_s16le', path.join(dir, `block-${i}.wav`)]);
  // One process per core at once, as the job's pool runs its segments.
  const results: Array<{ wallSec: number; cpuSec: number }> = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (next < blocks) {
        const i = next++;
        results[i] = await decode(path.join(dir, `block-${i}.wav`), hmm);
      }
    }),
  );
  const poolWallSec = (performance.now() - t0) / 1000;
  const rtfWall = results.map((r) => (r.wallSec - startWall) / blockSec);
  const rtfCpu = results.map((r) => (r.cpuSec - startCpu) / blockSec);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sigma = (xs: number[]) => {
    const m = mean(xs);
    const logs = xs.map((x) => Math.log(x / m));
    return Math.sqrt(logs.reduce((a, b) => a + b * b, 0) / Math.max(1, logs.length - 1));
  };
  const table = markdownTable(
    ['quantity', 'value', 'how'],
    [
      ['process start, CPU s (median of 7)', fmt(startCpu, 3), `1 s of silence; wall ${fmt(startWall, 3)} s`],
      [`calibrated RTF, ${cores} at once (wall, less the start)`, fmt(mean(rtfWall), 4), `${blocks} blocks of ${blockSec} s, pool wall ${fmt(poolWallSec, 1)} s`],
      ['calibrated RTF (CPU, less the start)', fmt(mean(rtfCpu), 4), 'the same runs'],
      [`σ of ln(RTF) per ${blockSec} s block`, fmt(sigma(rtfWall), 3), `CPU: ${fmt(sigma(rtfCpu), 3)}`],
      ['calibration sample RTF (uncalibrated, alone, wall less the start)', fmt((sampleRun.wallSec - startWall) / 20, 4), `20 s at a tenth of the way in; CPU ${fmt((sampleRun.cpuSec - startCpu) / 20, 4)}`],
    ],
  );
  const report = [table, '', `- audio: ${path.basename(wav)}, ${fmt(durationSec, 1)} s; ${cores} cores; load average at the start ${startLoad}`].join('\n');
  console.log(`\n${report}`);
  if (flags.record) recordResults('pocketsphinx prior (bench/pocketsphinx-prior.ts)', report);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
