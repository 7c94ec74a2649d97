#!/bin/sh
# Generates the shipped prompt set from prompts/text/LANG.txt with espeak-ng and sox, and the
# music-on-hold file with sox alone. The WAVs are committed, so users need neither tool.
#
#   scripts/make-prompts.sh            every language in prompts/text/, and the music on hold
#   scripts/make-prompts.sh ru th      only these languages
#
# Each text file has one prompt per line, NAME<TAB>TEXT, and names its voice in the first line
# ("... espeak-ng voice: ru"). Output: prompts/LANG/NAME.wav, 8 kHz 16-bit mono, leading and
# trailing silence trimmed, normalised to -3 dBFS. Deterministic: no dither, fixed synthesis.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
text_dir="$root/prompts/text"
rate=8000
speed=160
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in espeak-ng sox; do
  command -v "$tool" >/dev/null || { echo "make-prompts: $tool is not installed" >&2; exit 1; }
done

# Speech to WAV: trim silence at both ends (sox "silence" at 0.5% of full scale, run in reverse
# for the tail), resample with sox's high-quality filter, normalise, and leave 50 ms of air after.
speak() { # voice text out
  espeak-ng -v "$1" -s "$speed" -w "$tmp/raw.wav" "$2"
  sox -D "$tmp/raw.wav" -b 16 -c 1 "$3" \
    gain -6 silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse \
    highpass 80 rate -h "$rate" norm -3 pad 0 0.05
}

make_language() { # lang
  lang=$1
  file="$text_dir/$lang.txt"
  [ -f "$file" ] || { echo "make-prompts: no $file" >&2; exit 1; }
  voice=$(sed -n '1s/.*espeak-ng voice: *\([A-Za-z-]*\).*/\1/p' "$file")
  [ -n "$voice" ] || { echo "make-prompts: $file does not name its espeak-ng voice in line 1" >&2; exit 1; }
  out="$root/prompts/$lang"
  rm -rf "$out"
  mkdir -p "$out"
  count=0
  tab=$(printf '\t')
  grep -v '^#' "$file" | grep -v '^$' | while IFS="$tab" read -r name text; do
    speak "$voice" "$text" "$out/$name.wav"
  done
  count=$(ls "$out" | wc -l)
  echo "prompts/$lang: $count prompts ($(du -sh "$out" | cut -f1))"
}

# Music on hold: a slow arpeggio over a soft pad, C - Am - F - G, 4 s per chord, 32 s in all,
# plucked notes with reverb, faded at both ends so that the loop point is quiet.
make_music() {
  out="$root/prompts/music-on-hold.wav"
  notes=""
  i=0
  for chord in "C4 E4 G4 C5" "A3 C4 E4 A4" "F3 A3 C4 F4" "G3 B3 D4 G4" \
               "C4 E4 G4 E5" "A3 E4 A4 C5" "F3 C4 F4 A4" "G3 D4 G4 B4"; do
    set -- $chord
    for n in "$1" "$2" "$3" "$4" "$3" "$2" "$3" "$4"; do
      sox -D -n -r 16000 -b 16 -c 1 "$tmp/n$i.wav" synth 0.5 pluck "$n" fade q 0.005 0.5 0.3 vol 0.5
      notes="$notes $tmp/n$i.wav"
      i=$((i + 1))
    done
    sox -D -n -r 16000 -b 16 -c 1 "$tmp/pad$i.wav" synth 4 sine "$1" sine "$2" sine "$3" \
      channels 1 fade h 1 4 1.5 vol 0.12
    pads="${pads:-} $tmp/pad$i.wav"
  done
  # shellcheck disable=SC2086
  sox -D $notes "$tmp/melody.wav"
  # shellcheck disable=SC2086
  sox -D $pads "$tmp/pads.wav"
  sox -D -m "$tmp/melody.wav" "$tmp/pads.wav" -b 16 "$out" \
    reverb 40 50 60 lowpass 3000 norm -6 fade t 0.5 32 1.5 rate -h "$rate"
  echo "prompts/music-on-hold.wav ($(du -sh "$out" | cut -f1))"
}

if [ $# -eq 0 ]; then
  for f in "$text_dir"/*.txt; do make_language "$(basename "$f" .txt)"; done
  make_music
else
  for lang in "$@"; do make_language "$lang"; done
fi
