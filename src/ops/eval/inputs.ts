/**
 * What `parascribe eval` scores: audio files with a reference transcript, `name.txt` beside
 * `name.wav` (or in `--refs <dir>`). A directory contributes every audio file in it that has a
 * reference (others are listed as skipped); a file named explicitly must have one.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { probeAudio } from '../../audio/probe.js';
import { isParascribeError, ParascribeError } from '../../errors.js';

export interface EvalInput {
  /** Absolute path of the audio. */
  audio: string;
  referencePath: string;
  reference: string;
}

export interface EvalInputs {
  inputs: EvalInput[];
  /** Audio files of a directory without a reference. */
  skipped: string[];
}

export function referencePathFor(audio: string, refsDir?: string): string {
  return join(refsDir ?? dirname(audio), `${basename(audio, extname(audio))}.txt`);
}

const exists = async (path: string): Promise<boolean> => (await stat(path).catch(() => undefined))?.isFile() === true;

async function isAudio(path: string, signal: AbortSignal): Promise<boolean> {
  try {
    await probeAudio(path, { signal });
    return true;
  } catch (error) {
    if (!isParascribeError(error) || error.code === 'ABORTED' || error.code === 'TOOL_MISSING') throw error;
    return false;
  }
}

export async function findEvalInputs(paths: readonly string[], refsDir: string | undefined, signal: AbortSignal): Promise<EvalInputs> {
  const found: EvalInput[] = [];
  const skipped: string[] = [];
  const add = async (audio: string, referencePath: string) => found.push({ audio, referencePath, reference: await readFile(referencePath, 'utf8') });
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new ParascribeError('INPUT_NOT_FOUND', `${path}: no such file or directory`);
    if (info.isDirectory()) {
      const entries = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.') && extname(e.name).toLowerCase() !== '.txt');
      let any = false;
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const audio = resolve(path, entry.name);
        if (!(await isAudio(audio, signal))) continue;
        const ref = referencePathFor(audio, refsDir);
        if (await exists(ref)) {
          await add(audio, ref);
          any = true;
        } else {
          skipped.push(audio);
        }
      }
      if (!any) throw new ParascribeError('NO_AUDIO_FILES', `${path}: no audio file with a reference transcript (name.txt beside name.wav${refsDir ? `, or in ${refsDir}` : ''})`);
    } else {
      const audio = resolve(path);
      const ref = referencePathFor(audio, refsDir);
      if (!(await exists(ref))) throw new ParascribeError('INPUT_NOT_FOUND', `${path}: no reference transcript ${ref}`);
      await add(audio, ref);
    }
  }
  const unique = [...new Map(found.map((input) => [input.audio, input])).values()];
  return { inputs: unique, skipped };
}
