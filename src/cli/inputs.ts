/** Expands the command line's inputs (files and directories) into jobs with their output paths. */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { probeAudio } from '../audio/probe.js';
import { ParascribeError, isParascribeError } from '../errors.js';
import { fittedName } from '../outputs/file-name.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../outputs/formats.js';

export interface PlannedInput {
  input: string;
  outputPath: string;
}

/** The input's name with the format's extension; shortened if it would pass the file system's 255 bytes. */
export function defaultOutputPath(input: string, format: OutputFormat, outputDir?: string): string {
  const name = fittedName(basename(input, extname(input)), OUTPUT_FORMATS[format].extension);
  return join(outputDir ?? dirname(input), name);
}

/** Files directly in a directory that ffprobe finds an audio stream in (sniffed, not by name). */
async function audioFilesIn(dir: string, signal: AbortSignal): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => join(dir, e.name)).sort();
  const audio: string[] = [];
  for (const file of files) {
    try {
      await probeAudio(file, { signal });
      audio.push(file);
    } catch (error) {
      if (!isParascribeError(error) || error.code === 'ABORTED' || error.code === 'TOOL_MISSING') throw error;
      // Not audio (a transcript from an earlier run, a PDF...): not ours to transcribe.
    }
  }
  return audio;
}

export async function expandInputs(inputs: string[], format: OutputFormat, output: string | undefined, signal: AbortSignal): Promise<PlannedInput[]> {
  const files: string[] = [];
  let sawDirectory = false;
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    // A missing file still becomes a job, so that the failure is on record in `parascribe jobs`.
    if (info?.isDirectory()) {
      sawDirectory = true;
      const found = await audioFilesIn(input, signal);
      if (found.length === 0) throw new ParascribeError('NO_AUDIO_FILES', `${input}: directory contains no audio or video files`);
      files.push(...found);
    } else {
      files.push(input);
    }
  }
  // With several inputs, -o names a directory; with one file, the output file.
  if (output !== undefined && (sawDirectory || files.length > 1)) {
    const info = await stat(output).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new ParascribeError('OUTPUT_NOT_WRITABLE', `cannot write ${output}: with several inputs -o must be an existing directory`);
    }
    return files.map((input) => ({ input, outputPath: resolve(defaultOutputPath(input, format, output)) }));
  }
  return files.map((input) => ({ input, outputPath: resolve(output ?? defaultOutputPath(input, format)) }));
}
