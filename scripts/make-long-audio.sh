#!/usr/bin/env bash
# make-long-audio.sh OUT MIN_SECONDS
#
# Builds a long benchmark input by playing the GPL-preamble fixture back to back (no inserted
# silence: pure-zero gaps hurt pocketsphinx) as many times as needed to last >= MIN_SECONDS.
#   OUT ending in .wav: 16 kHz mono s16 WAV with a plain 44-byte header (pocketsphinx_continuous
#                       assumes one), decoded through ffmpeg's concat demuxer.
#   OUT ending in .mp3: the original mp3 frames stream-copied (no re-encode), for decode benchmarks.
# Also writes ${OUT%.*}.txt: the reference transcript repeated the same number of times.
# Idempotent: skips the build when OUT already has exactly the size a fresh build would have.
# Env: FIXTURES_DIR (default: <repo>/../shared/fixtures).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 OUT.wav|OUT.mp3 MIN_SECONDS" >&2
  exit 2
fi
out=$1
min_sec=$2
if ! [[ $min_sec =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "error: MIN_SECONDS must be a positive number, got '$min_sec'" >&2
  exit 2
fi
case $out in
  *.wav) kind=wav ;;
  *.mp3) kind=mp3 ;;
  *) echo "error: OUT must end in .wav or .mp3, got '$out'" >&2; exit 2 ;;
esac
for tool in ffmpeg ffprobe; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found on PATH" >&2; exit 1; }
done

fixtures=${FIXTURES_DIR:-"$(dirname "$0")/../../shared/fixtures"}
src_audio="$fixtures/gpl-preamble.mp3"
src_text="$fixtures/gpl-preamble.txt"
for f in "$src_audio" "$src_text"; do
  [[ -f $f ]] || { echo "error: fixture not found: $f (set FIXTURES_DIR)" >&2; exit 1; }
done
src_audio=$(cd "$(dirname "$src_audio")" && pwd)/$(basename "$src_audio") # concat lists need absolute paths

one_copy_sec=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$src_audio")
copies=$(awk -v min="$min_sec" -v one="$one_copy_sec" 'BEGIN { n = int(min / one); if (n * one < min) n++; if (n < 1) n = 1; print n }')

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "${TMPDIR:-/tmp}/make-long-audio.XXXXXX")
trap 'rm -rf "$work"' EXIT
list="$work/list.txt"
for ((i = 0; i < copies; i++)); do printf "file '%s'\n" "$src_audio"; done >"$list"

# Deterministic WAV output: no LIST/INFO chunk, so the header is exactly 44 bytes.
wav_args=(-ar 16000 -ac 1 -c:a pcm_s16le -fflags +bitexact -flags:a +bitexact -map_metadata -1)

# Expected size of a fresh build, computed cheaply (one decode of one copy, or a dry stream copy).
if [[ $kind == wav ]]; then
  one_copy_bytes=$(ffmpeg -v error -i "$src_audio" -ar 16000 -ac 1 -f s16le - | wc -c)
  expected_bytes=$((44 + copies * one_copy_bytes))
else
  expected_bytes=$(ffmpeg -v error -f concat -safe 0 -i "$list" -c copy -f mp3 - | wc -c)
fi

ref_out="${out%.*}.txt"
write_reference() {
  local ref
  ref=$(tr -s '[:space:]' ' ' <"$src_text" | sed 's/^ //; s/ $//')
  for ((i = 0; i < copies; i++)); do printf '%s\n' "$ref"; done >"$ref_out.tmp-$$"
  mv "$ref_out.tmp-$$" "$ref_out"
}

if [[ -f $out ]] && [[ $(stat -c %s "$out") -eq $expected_bytes ]]; then
  [[ -f $ref_out ]] || write_reference
  echo "$out: up to date ($copies x gpl-preamble, $expected_bytes bytes)" >&2
  exit 0
fi

tmp_out="$out.tmp-$$.$kind" # ffmpeg picks the muxer from the extension; rename only when complete
if [[ $kind == wav ]]; then
  ffmpeg -v error -nostdin -y -f concat -safe 0 -i "$list" "${wav_args[@]}" "$tmp_out"
else
  # Through a pipe, like the size check above: a seekable output would also get a Xing header and differ.
  ffmpeg -v error -nostdin -f concat -safe 0 -i "$list" -c copy -f mp3 - >"$tmp_out"
fi
actual_bytes=$(stat -c %s "$tmp_out")
if [[ $actual_bytes -ne $expected_bytes ]]; then
  echo "warning: $out is $actual_bytes bytes, expected $expected_bytes; later runs will rebuild it" >&2
fi
mv "$tmp_out" "$out"
write_reference
total_sec=$(awk -v n="$copies" -v one="$one_copy_sec" 'BEGIN { printf "%.1f", n * one }')
echo "$out: built $copies x gpl-preamble = ${total_sec} s ($actual_bytes bytes); reference $ref_out" >&2
