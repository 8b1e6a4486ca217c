/** The registry of output formats: id → file extension and a pure renderer. */
import type { OutputDocument } from './document.js';
import { renderJson, renderVerboseJson } from './json.js';
import { renderSrt, renderVtt } from './subtitles.js';
import { renderMd, renderTxt } from './text.js';

export type { OutputDocument } from './document.js';
export { renderJson, renderVerboseJson } from './json.js';
export { renderSrt, renderVtt } from './subtitles.js';
export { renderMd, renderTxt } from './text.js';

export type OutputFormat = 'txt' | 'json' | 'verbose_json' | 'srt' | 'vtt' | 'md';

export const OUTPUT_FORMAT_IDS: readonly OutputFormat[] = ['txt', 'json', 'verbose_json', 'srt', 'vtt', 'md'];

export interface OutputFormatSpec {
  /** Without the leading dot. `verbose_json` gets its own so it can sit next to a `json` output. */
  extension: string;
  render(doc: OutputDocument): string;
}

export const OUTPUT_FORMATS: Readonly<Record<OutputFormat, OutputFormatSpec>> = {
  txt: { extension: 'txt', render: renderTxt },
  json: { extension: 'json', render: renderJson },
  verbose_json: { extension: 'verbose.json', render: renderVerboseJson },
  srt: { extension: 'srt', render: renderSrt },
  vtt: { extension: 'vtt', render: renderVtt },
  md: { extension: 'md', render: renderMd },
};

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMAT_IDS as readonly string[]).includes(value);
}
