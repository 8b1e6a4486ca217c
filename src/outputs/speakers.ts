/** Speaker ids and how outputs name them. */

/** The id of the n-th speaker (1-based): `SPEAKER_1`. */
export function speakerId(n: number): string {
  return `SPEAKER_${n}`;
}

/** `SPEAKER_1` → `Speaker 1`; any other label is shown as it is. */
export function speakerName(id: string): string {
  const match = /^SPEAKER_(\d+)$/.exec(id);
  return match ? `Speaker ${match[1]}` : id;
}
