/**
 * What one corpus case did at one entry point, judged against its documented outcome, and the table
 * of all of them (docs/limits.md, written when PARASCRIBE_WRITE_CORPUS_TABLE=1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { BIN, ROOT } from '../../helpers/cli.js';
import { expectedLabel, type CorpusCase } from './media-corpus.js';

export const ENTRY_POINTS = ['CLI transcribe', 'POST /v1/jobs (upload)', '/v1/audio/transcriptions', 'POST /v1/jobs {url}', 'MCP transcribe'] as const;
export type EntryPoint = (typeof ENTRY_POINTS)[number];

export interface Outcome {
  /** What happened, as the table shows it: `exit 6 CORRUPT_AUDIO`, `202 → failed CORRUPT_AUDIO`, `200 transcript`. */
  label: string;
  /** Mismatches with the documented outcome, and any crash, stack trace, hang or partial output. */
  problems: string[];
}

/** A stack frame, a source location or a module path in text a user sees. */
const STACK = /\n\s+at \S|\bat .+\(.+:\d+:\d+\)|\.[cm]?[jt]s:\d+:\d+|node:internal|node_modules/;

export function stackIn(text: string): boolean {
  return STACK.test(text);
}

export class OutcomeTable {
  readonly #rows = new Map<string, Map<EntryPoint, Outcome>>();

  constructor(private readonly cases: readonly CorpusCase[]) {}

  record(c: CorpusCase, entry: EntryPoint, outcome: Outcome): void {
    if (!this.#rows.has(c.id)) this.#rows.set(c.id, new Map());
    this.#rows.get(c.id)!.set(entry, outcome);
  }

  problems(entry?: EntryPoint): string[] {
    const out: string[] = [];
    for (const [id, row] of this.#rows) for (const [at, outcome] of row) if (!entry || at === entry) for (const p of outcome.problems) out.push(`${id} @ ${at}: ${p}`);
    return out;
  }

  count(entry: EntryPoint): number {
    return [...this.#rows.values()].filter((row) => row.has(entry)).length;
  }

  markdown(): string {
    const header = `| case | documented outcome | ${ENTRY_POINTS.join(' | ')} |`;
    const rule = `|${' --- |'.repeat(ENTRY_POINTS.length + 2)}`;
    const lines = this.cases.map((c) => {
      const row = this.#rows.get(c.id);
      const cells = ENTRY_POINTS.map((entry) => {
        const o = row?.get(entry);
        return o ? `${o.label}${o.problems.length > 0 ? ' **✗**' : ''}` : 'not run';
      });
      return `| ${c.id} | ${expectedLabel(c)}: ${c.why} | ${cells.join(' | ')} |`;
    });
    const total = this.cases.length * ENTRY_POINTS.length;
    const run = [...this.#rows.values()].reduce((n, row) => n + row.size, 0);
    const bad = this.problems().length;
    return [header, rule, ...lines, '', `${this.cases.length} cases × ${ENTRY_POINTS.length} entry points: ${run} of ${total} runs, ${bad} problems (wrong outcome, crash, stack trace, hung job or partial output).`].join('\n');
  }

  /** Replaces the text between the markers in `docsPath`. */
  writeInto(docsPath: string): void {
    const begin = '<!-- corpus-table:begin (test/hardening/media-corpus.test.ts, PARASCRIBE_WRITE_CORPUS_TABLE=1) -->';
    const end = '<!-- corpus-table:end -->';
    const text = readFileSync(docsPath, 'utf8');
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${docsPath}: no corpus-table markers`);
    writeFileSync(docsPath, `${text.slice(0, from + begin.length)}\n${this.markdown()}\n${text.slice(to)}`);
  }
}

export interface BoundedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The built CLI with a deadline: a run past it is killed and reported, never waited on forever. */
export function runCliBounded(args: string[], env: Record<string, string>, timeoutMs: number, cwd = ROOT): Promise<BoundedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
