/**
 * The command line. Every failure becomes one line `parascribe: error[CODE]: message` on stderr and
 * the code's exit code; never a stack trace (set PARASCRIBE_DEBUG=1 to see one).
 */
import { Command, CommanderError, Option } from 'commander';
import { createBackendRegistry } from '../backends/registry.js';
import { ASK_STRATEGIES, type AskStrategy } from '../config/llm.js';
import { SPEAKER_SOURCES } from '../config/outputs.js';
import { configFilePath, loadConfig } from '../config/load.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import { OUTPUT_FORMAT_IDS } from '../outputs/formats.js';
import { askCommand } from './ask.js';
import { evalCommand } from './eval.js';
import { jobShowCommand, jobsListCommand } from './jobs.js';
import { mcpCommand } from './mcp.js';
import { modelsListCommand, modelsPullCommand, modelsRemoveCommand, modelsVerifyCommand } from './models.js';
import { planCommand } from './plan.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { statsCommand } from './stats.js';
import { withWorkerFlags, workerCommand } from './worker.js';
import { transcribeCommand } from './transcribe.js';

/** Only flags the user actually typed override config and environment. */
function typedFlags(command: Command, keys: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const key of keys) if (command.getOptionValueSource(key) === 'cli') values[key] = command.getOptionValue(key);
  return values;
}

/**
 * After a long-running command has shut down cleanly: if a library still holds a handle (a socket
 * it was handed and never closes), exit anyway after 3 s instead of hanging. The timer is unref'd, so
 * a process with nothing left exits at once and never waits for it.
 */
function exitSoonIfStuck(code: () => number): void {
  setTimeout(() => process.exit(code()), 3_000).unref();
}

const number = (raw: string): number => (raw.trim() === '' ? Number.NaN : Number(raw));
const segmentSec = (raw: string): number | 'auto' => (raw.trim().toLowerCase() === 'auto' ? 'auto' : number(raw));

export async function runCli(argv: string[], io: { stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream } = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(130);
    stderr.write(`\nparascribe: ${signal}: cancelling (again to force)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);

  let exitCode = 0;
  const program = new Command('parascribe')
    .description('Long audio in, stitched transcript out: segmented, parallel speech recognition')
    .option('--config <path>', 'JSON config file (default: $XDG_CONFIG_HOME/parascribe/config.json)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .showHelpAfterError(false);

  program
    .command('transcribe')
    .description('transcribe audio/video files, or every audio/video file in a directory')
    .argument('<inputs...>', 'files or directories')
    .option('-o, --output <path>', 'output file (one input) or directory (several inputs)')
    .addOption(new Option('-f, --format <format>', `output format: ${OUTPUT_FORMAT_IDS.join('|')}`).default('txt'))
    .addOption(new Option('--segment-sec <seconds>', "target segment length, or 'auto' (from the backend's job history: see `parascribe plan`)").argParser(segmentSec).default('auto'))
    .addOption(new Option('--concurrency <k>', 'segments transcribed at once (default: CPU cores)').argParser(number))
    .option('--backend <id>', 'ASR backend (default: routing rules, else pocketsphinx)')
    .addOption(new Option('--fallback <ids>', 'backends to fall back to, in order (comma-separated)').argParser((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean)))
    .addOption(new Option('--priority <p>', 'critical | normal | batch (routing rules pick backends by it)'))
    .option('--language <code>', 'spoken language (ISO-639-1)')
    .option('--no-cache', 'ignore cached transcripts and segment results')
    .addOption(new Option('--max-attempts <n>', 'attempts per segment and backend for failures that are not transient').argParser(number))
    .addOption(new Option('--retry-budget-sec <s>', 'seconds a segment keeps retrying a backend that fails transiently (5xx, 429, timeouts) before the next backend takes it (default 600)').argParser(number))
    .option('--json', 'print a machine-readable summary per job on stdout', false)
    .option('-q, --quiet', 'no progress bar or summary on stderr', false)
    .option('--plan-only', 'probe, decode, find pauses and print the plan; do not transcribe', false)
    .addOption(new Option('--speakers <source>', 'speaker labels: none, channels (stereo, one speaker per channel), backend (the backend\'s own diarization)').choices(SPEAKER_SOURCES))
    .addOption(new Option('--max-line-chars <n>', 'subtitles (srt, vtt): characters per line (default 42)').argParser(number))
    .addOption(new Option('--max-lines <n>', 'subtitles: lines per cue (default 2)').argParser(number))
    .addOption(new Option('--max-cue-sec <s>', 'subtitles: seconds on screen per cue at most (default 7)').argParser(number))
    .addOption(new Option('--max-cps <n>', 'subtitles: reading speed, characters per second (default 20)').argParser(number))
    .action(async (inputs: string[], options: Record<string, unknown>, command: Command) => {
      const flags = typedFlags(command, ['format', 'segmentSec', 'concurrency', 'backend', 'fallback', 'priority', 'language', 'cache', 'maxAttempts', 'retryBudgetSec', 'speakers']);
      const subtitles = typedFlags(command, ['maxLineChars', 'maxLines', 'maxCueSec', 'maxCps']);
      const { retryBudgetSec, ...topLevel } = flags;
      const config = loadConfig({
        ...(program.opts().config ? { configPath: program.opts().config as string } : {}),
        flags: {
          ...topLevel,
          ...(retryBudgetSec === undefined ? {} : { retry: { budgetSec: retryBudgetSec } }),
          ...(Object.keys(subtitles).length > 0 ? { subtitles } : {}),
        },
        flagNames: { 'retry.budgetSec': '--retry-budget-sec' },
      });
      exitCode = await transcribeCommand(
        inputs,
        config,
        {
          ...(options.output ? { output: options.output as string } : {}),
          json: options.json === true,
          quiet: options.quiet === true,
          planOnly: options.planOnly === true,
        },
        { stdout, stderr, signal: controller.signal },
      );
    });

  program
    .command('ask')
    .description('ask a question about a recording; the answer streams with [hh:mm:ss] citations (needs PARASCRIBE_LLM_BASE_URL and PARASCRIBE_LLM_MODEL)')
    .argument('<job-or-file>', 'a job id (finished or still running: answers over what is transcribed so far), or a file (transcribed first; the cache makes repeats free)')
    .argument('<question...>', 'the question (quotes optional)')
    .option('--follow', 'wait for a running job to finish, then answer over the whole transcript', false)
    .addOption(new Option('--strategy <strategy>', 'a transcript longer than the model window: retrieve (BM25), map-reduce, or full (refused if it does not fit); auto chooses by size').choices(ASK_STRATEGIES))
    .option('--json', 'no streaming: one JSON object with the answer, citations, coverage, tokens and cost', false)
    .option('-q, --quiet', 'nothing on stderr but errors', false)
    .option('--backend <id>', 'ASR backend, when a file is transcribed first')
    .option('--language <code>', 'spoken language (ISO-639-1), when a file is transcribed first')
    .action(async (target: string, words: string[], options: { follow: boolean; json: boolean; quiet: boolean; strategy?: AskStrategy }, command: Command) => {
      const config = loadConfig({ ...configPath(program), flags: typedFlags(command, ['backend', 'language']) });
      exitCode = await askCommand(
        target,
        words.join(' '),
        config,
        { follow: options.follow, json: options.json, quiet: options.quiet, ...(options.strategy ? { strategy: options.strategy } : {}) },
        { stdout, stderr, signal: controller.signal },
      );
    });

  program
    .command('plan')
    .description('predict wall-clock and first words for candidate segment plans from the job history, and show the one --segment-sec auto would choose')
    .argument('<file>', 'audio or video file (probed, not decoded)')
    .option('--backend <id>', 'ASR backend (default: routing rules, else pocketsphinx)')
    .option('--explain', 'every candidate, the fit residuals per job and the notes', false)
    .option('--json', 'JSON output', false)
    .action(async (file: string, options: { explain: boolean; json: boolean }, command: Command) => {
      const config = loadConfig({ ...configPath(program), flags: typedFlags(command, ['backend']) });
      exitCode = await planCommand(file, config, { explain: options.explain, json: options.json }, { stdout, signal: controller.signal });
    });

  const jobs = program
    .command('jobs')
    .description('job history: id, file, audio minutes, wall s, compute s, parallelism k, segments, status')
    .addOption(new Option('-n, --limit <n>', 'how many').argParser(number).default(50))
    .option('--json', 'JSON output', false)
    .action(async (options: { limit: number; json: boolean }) => {
      const limit = Number.isInteger(options.limit) && options.limit > 0 ? options.limit : 50;
      exitCode = await jobsListCommand(loadConfig(configPath(program)), { limit, json: options.json }, stdout);
    });
  jobs
    .command('show')
    .description('one job: per-segment timings, attempts, errors')
    .argument('<id>', 'job id (or a unique prefix)')
    .option('--json', 'JSON output', false)
    .action(async (id: string, options: { json: boolean }) => {
      // `jobs` has --json too and commander gives it to the parent when both define it.
      const json = options.json || jobs.opts().json === true;
      exitCode = await jobShowCommand(loadConfig(configPath(program)), id, { json }, stdout);
    });

  program
    .command('search')
    .description('search every stored transcript: ranked segments with job, file, time and a snippet')
    .argument('<query...>', 'words (all must occur) and "quoted phrases" (quote them for your shell: \'"hiring plan"\')')
    .addOption(new Option('-n, --limit <n>', 'how many hits (1-1000)').argParser(number).default(20))
    .addOption(new Option('--offset <n>', 'hits to skip (the next page)').argParser(number).default(0))
    .option('--json', 'JSON output: { query, data: [{ job_id, source, segment_index, start_sec, end_sec, snippet, score }], has_more, next_offset }', false)
    .action(async (words: string[], options: { limit: number; offset: number; json: boolean }) => {
      exitCode = await searchCommand(loadConfig(configPath(program)), words.join(' '), options, stdout);
    });

  program
    .command('eval')
    .description('score backends on audio files with reference transcripts (name.txt beside name.wav): WER, CER, wall, RTF, k, cost and seams, per file and in total; stored for --compare')
    .argument('[inputs...]', 'audio files or directories (with --compare alone: the newest stored run)')
    .addOption(new Option('--backends <ids>', 'comma-separated backends to compare (default: the configured primary backend)').argParser((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean)))
    .option('--refs <dir>', 'reference transcripts are <dir>/<name>.txt instead of beside the audio')
    .option('--compare', 'show the change against the previous run of each file and backend', false)
    .option('--no-seams', 'skip the seams check (it transcribes each cut file once more, whole)')
    .addOption(new Option('--seam-window <sec>', 'seconds either side of a cut the seams check looks at (default 3)').argParser(number))
    .addOption(new Option('--segment-sec <seconds>', "target segment length, or 'auto'").argParser(segmentSec))
    .addOption(new Option('--concurrency <k>', 'segments transcribed at once').argParser(number))
    .option('--json', 'JSON output: { runId, results, totals, comparison? }', false)
    .option('-q, --quiet', 'no progress lines on stderr', false)
    .action(async (inputs: string[], options: { backends?: string[]; refs?: string; compare: boolean; seams: boolean; seamWindow?: number; json: boolean; quiet: boolean }, command: Command) => {
      const config = loadConfig({ ...configPath(program), flags: typedFlags(command, ['segmentSec', 'concurrency']) });
      if (options.seamWindow !== undefined && !(options.seamWindow > 0)) throw new ParascribeError('INVALID_ARGUMENT', '--seam-window must be a positive number of seconds');
      exitCode = await evalCommand(
        inputs,
        config,
        { backends: options.backends, refs: options.refs, compare: options.compare, seams: options.seams, seamWindowSec: options.seamWindow, json: options.json, quiet: options.quiet },
        { stdout, stderr, signal: controller.signal },
      );
    });

  program
    .command('stats')
    .description('jobs, audio hours, turnaround and first-words percentiles, error rate, retries, cost, cache hit rate: per backend and in total')
    .option('--since <when>', 'jobs created since: a duration back from now (90s, 30m, 24h, 7d, 2w) or an ISO date', '24h')
    .option('--backend <id>', "only jobs with this primary backend")
    .option('--json', 'JSON output (the same document as GET /v1/stats)', false)
    .action(async (options: { since: string; backend?: string; json: boolean }) => {
      exitCode = await statsCommand(loadConfig(configPath(program)), options, stdout);
    });

  program
    .command('serve')
    .description('run the HTTP API (jobs, SSE, OpenAI-compatible /v1/audio/transcriptions) until SIGINT/SIGTERM')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .addOption(new Option('--port <port>', 'port (default 8080; 0 = any free port)').argParser(number))
    .option('--no-auth', 'no API keys (loopback binds only)')
    .addOption(new Option('--max-jobs <n>', 'jobs transcribed at once').argParser(number))
    .action(async (_options: Record<string, unknown>, command: Command) => {
      const given = typedFlags(command, ['host', 'port', 'auth', 'maxJobs']);
      const serve = { host: given.host, port: given.port, auth: given.auth, maxConcurrentJobs: given.maxJobs };
      const flags = Object.values(serve).some((v) => v !== undefined) ? { serve: Object.fromEntries(Object.entries(serve).filter(([, v]) => v !== undefined)) } : {};
      const load = () => loadConfig({ ...configPath(program), flags, flagNames: { 'serve.auth': '--no-auth', 'serve.maxConcurrentJobs': '--max-jobs' } });
      exitCode = await serveCommand(load(), { stdout, stderr, signal: controller.signal }, { load, path: watchedConfigFile(program) });
      exitSoonIfStuck(() => exitCode);
    });

  program
    .command('mcp')
    .description('serve the MCP tools (transcribe, get_job, get_transcript, search_transcripts, ask_transcript) on stdio, for a local MCP client; file paths only under PARASCRIBE_MCP_ROOTS')
    .action(async () => {
      exitCode = await mcpCommand(loadConfig(configPath(program)), { stdin: process.stdin, stdout, stderr, signal: controller.signal });
      exitSoonIfStuck(() => exitCode);
    });

  program
    .command('worker')
    .description('serve segment tasks from Redis for a distributed deployment (needs PARASCRIBE_REDIS_URL, PARASCRIBE_DATABASE_URL, PARASCRIBE_WORKER_SECRET)')
    .addOption(new Option('--concurrency <n>', 'segments served at once (default 1)').argParser(number))
    .option('--backends <ids>', 'comma-separated backend ids to serve (default: the configured chain)')
    .option('--min-warm', 'load models at start and keep them loaded (no cold start on the first segment)')
    .addOption(new Option('--grace <sec>', 'on SIGTERM, seconds in-flight segments may finish before they are handed back (default 30)').argParser(number))
    .action(async (_options: Record<string, unknown>, command: Command) => {
      const given = typedFlags(command, ['concurrency', 'backends', 'minWarm', 'grace']);
      const worker = {
        concurrency: given.concurrency,
        backends: typeof given.backends === 'string' ? given.backends.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        minWarm: given.minWarm,
        graceSec: given.grace,
      };
      const set = Object.fromEntries(Object.entries(worker).filter(([, v]) => v !== undefined));
      const load = () => withWorkerFlags(loadConfig(configPath(program)), set);
      exitCode = await workerCommand(load(), { stdout, stderr, signal: controller.signal }, { load, path: watchedConfigFile(program) });
      exitSoonIfStuck(() => exitCode);
    });

  const models = program
    .command('models')
    .description('whisper.cpp model files: list the catalogue, pull (download, resumable, checksum-verified), rm, verify; stored in $PARASCRIBE_DATA_DIR/models');
  models
    .command('list')
    .description('the catalogue: name, size, checksum, whether it is installed')
    .option('--json', 'JSON output', false)
    .action((options: { json: boolean }) => {
      exitCode = modelsListCommand(loadConfig(configPath(program)), options, { stdout });
    });
  models
    .command('pull')
    .description('download a model into the store (PARASCRIBE_MODELS_URL: a mirror); an interrupted pull resumes')
    .argument('<name>', 'a catalogue name, e.g. base.en, large-v3-turbo-q5_0, silero-v6.2.0')
    .option('--force', 'download again even if it is installed', false)
    .option('-q, --quiet', 'no progress bar or messages on stderr', false)
    .action(async (name: string, options: { force: boolean; quiet: boolean }) => {
      exitCode = await modelsPullCommand(loadConfig(configPath(program)), name, options, { stdout, stderr, signal: controller.signal });
    });
  models
    .command('rm')
    .description('delete a model (and any partial download of it) from the store')
    .argument('<name>', 'a catalogue name')
    .action(async (name: string) => {
      exitCode = await modelsRemoveCommand(loadConfig(configPath(program)), name, { stderr });
    });
  models
    .command('verify')
    .description("re-hash installed models against whisper.cpp's published checksums, or the SHA-256 recorded at pull")
    .argument('[name]', 'one model (default: every installed one)')
    .option('--json', 'JSON output', false)
    .action(async (name: string | undefined, options: { json: boolean }) => {
      exitCode = await modelsVerifyCommand(loadConfig(configPath(program)), name, options, { stdout, stderr, signal: controller.signal });
    });

  program
    .command('backends')
    .description('list the backend types and the instances configured in the config file')
    .action(() => {
      const registry = createBackendRegistry();
      const config = loadConfig(configPath(program));
      const lines = registry.ids().map((id) => `${id}\t(type)`);
      for (const [id, settings] of Object.entries(config.backends)) {
        const type = (settings as { type?: unknown } | null)?.type;
        if (typeof type === 'string') lines.push(`${id}\t(instance of ${type})`);
      }
      stdout.write(`${lines.join('\n')}\n`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return thrown.exitCode === 0 ? 0 : 2;
    }
    const error = toParascribeError(thrown);
    stderr.write(`parascribe: error[${error.code}]: ${error.message}\n`);
    if (process.env.PARASCRIBE_DEBUG === '1' && thrown instanceof Error) stderr.write(`${thrown.stack}\n`);
    return error.exitCode;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

/** The config file a long-running command re-reads on SIGHUP, watched for edits (cli/reload.ts). */
function watchedConfigFile(program: Command): string {
  return configFilePath(process.env, configPath(program).configPath).path;
}

function configPath(program: Command): { configPath?: string } {
  const path = program.opts().config as string | undefined;
  return path ? { configPath: path } : {};
}
