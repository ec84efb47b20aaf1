#!/usr/bin/env bash
# Make media/sample_trailer.mp4: a ~32 s self-made, trailer-like clip with synthetic narration.
#
#   media/make_sample.sh [OUTPUT.mp4]      (default: media/sample_trailer.mp4 next to this script)
#
# Needs ffmpeg (with libx264 and lavfi) and espeak-ng; installs espeak-ng with apt-get when run as root
# and it is missing. drawtext is used when ffmpeg has it and a font is found; without it the cards are
# plain colour. Also writes the reference transcript (the narration, one sentence a line) next to the
# output as <OUTPUT stem>.txt.
#
# Idempotent: the encode is bit-exact for a given ffmpeg/x264/espeak-ng build, the result is written to a
# temporary file and renamed into place, and an output whose bytes would not change is left untouched.
# Every command is an argv array; all generated files live in a private temp dir and ffmpeg runs there with
# relative names, so no path is ever spliced into a filtergraph.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
out=${1:-"$here/sample_trailer.mp4"}
case $out in
  -*) out="./$out" ;;  # a name that begins with '-' must not read as an option
esac
[ -d "$(dirname -- "$out")" ] || { echo "make_sample.sh: no such folder: $(dirname -- "$out")" >&2; exit 1; }
out_dir=$(cd -- "$(dirname -- "$out")" && pwd)
out="$out_dir/$(basename -- "$out")"
ref="${out%.*}.txt"

FFMPEG=${FFMPEG_PATH:-ffmpeg}
VOICE=${VOICE:-en-gb-x-rp}   # espeak-ng voice (Received Pronunciation)
RATE=${RATE:-140}       # words per minute
PITCH=${PITCH:-45}      # 0-99, espeak-ng default 50

# ---- the narration: sentence, start (s) ------------------------------------------------------------
# Each sentence must end before the next one starts; the script checks it.
SENTENCES=(
  "In 1983, a radio operator named Mara Quinn heard a voice from the open ocean."
  "For 40 years, nobody believed her."
  "Now the signal is back, and it knows her name."
  "This winter, one message will change everything."
  "The Quiet Frequency. Coming soon."
)
STARTS=(4.0 11.5 15.5 21.5 26.0)
# slot ends (where the next thing begins); the last sentence must end before the music sting stops
ENDS=(11.5 15.5 19.5 26.0 31.0)
DURATION=32

# ---- tools -----------------------------------------------------------------------------------------
die() { echo "make_sample.sh: $*" >&2; exit 1; }

if ! command -v espeak-ng >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing espeak-ng with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null
  fi
  command -v espeak-ng >/dev/null 2>&1 || die "espeak-ng is needed (apt-get install espeak-ng)"
fi
command -v "$FFMPEG" >/dev/null 2>&1 || die "ffmpeg is needed (apt-get install ffmpeg) or set FFMPEG_PATH"
encoders=$("$FFMPEG" -hide_banner -encoders 2>/dev/null || true)
case $encoders in *" libx264 "*) ;; *) die "this ffmpeg has no libx264" ;; esac

ffprobe_duration() {  # seconds of a media file, via ffmpeg itself (no ffprobe needed)
  "$FFMPEG" -nostdin -hide_banner -i "$1" -f null - 2>&1 |
    sed -n 's/.*time=\([0-9:.]*\).*/\1/p' | tail -n1 |
    awk -F: '{ printf "%.3f\n", $1 * 3600 + $2 * 60 + $3 }'
}

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# ---- font for the title cards ----------------------------------------------------------------------
# FONT=/path/to/font.ttf picks one; FONT=none leaves the text out (the graceful path, for testing it)
font=""
for cand in \
  "${FONT:-}" \
  "$(fc-match -f '%{file}' 'DejaVu Sans:style=Bold' 2>/dev/null || true)" \
  /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf \
  /usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf \
  /usr/share/fonts/truetype/freefont/FreeSansBold.ttf; do
  if [ "${FONT:-}" = none ]; then break; fi
  if [ -n "$cand" ] && [ -f "$cand" ]; then font=$cand; break; fi
done
use_text=0
filters=$("$FFMPEG" -hide_banner -filters 2>/dev/null || true)
if [ -n "$font" ] && [[ $filters == *" drawtext "* ]]; then
  cp -- "$font" "$tmp/font.ttf"
  use_text=1
else
  echo "make_sample.sh: no drawtext or no font; the title cards will be plain colour" >&2
fi

# ---- narration -------------------------------------------------------------------------------------
: >"$tmp/ref.txt"
for i in "${!SENTENCES[@]}"; do
  printf '%s\n' "${SENTENCES[$i]}" >>"$tmp/ref.txt"
  espeak-ng -v "$VOICE" -s "$RATE" -p "$PITCH" -w "$tmp/s$i.wav" -- "${SENTENCES[$i]}"
  d=$(ffprobe_duration "$tmp/s$i.wav")
  if ! awk -v s="${STARTS[$i]}" -v d="$d" -v e="${ENDS[$i]}" 'BEGIN { exit !(s + d <= e) }'; then
    die "sentence $((i + 1)) lasts ${d}s and does not fit between ${STARTS[$i]}s and ${ENDS[$i]}s"
  fi
  echo "sentence $((i + 1)): ${STARTS[$i]}s + ${d}s" >&2
done

# ---- the music bed ---------------------------------------------------------------------------------
# A slow pad: Am - F - C - G, two seconds a chord, root an octave down plus triad and octave,
# a soft attack and release on every chord so the changes do not click.
pad="st(0,floor(mod(t,8)/2));\
st(1,if(eq(ld(0),0),220,if(eq(ld(0),1),174.61,if(eq(ld(0),2),261.63,196))));\
st(2,if(eq(ld(0),0),1.2,1.26));\
st(3,mod(t,2));\
st(4,min(1,ld(3)*3)*min(1,(2-ld(3))*6)*(0.65+0.35*exp(-2*ld(3))));\
ld(4)*(0.45*sin(PI*ld(1)*t)+0.3*sin(2*PI*ld(1)*t)+0.22*sin(2*PI*ld(1)*ld(2)*t)\
+0.22*sin(2*PI*ld(1)*1.5*t)+0.08*sin(4*PI*ld(1)*t))/1.3"
# the right channel a touch detuned for width
pad_r=${pad//"*t)"/"*1.003*t)"}

# ---- the filtergraph (written to a file; only relative names inside) -------------------------------
{
  # music: intro loud, ducked under the narration from 3.5 s, out by 19.5 s; a sting under the last line
  printf "aevalsrc=exprs='%s|%s':s=44100:d=19.5," "$pad" "$pad_r"
  printf "lowpass=f=2500,volume=eval=frame:volume='0.12+0.38*(1-clip((t-3.5)/0.6,0,1))',"
  printf "afade=t=in:d=1.0,afade=t=out:st=18.5:d=1.0[bedA];\n"
  printf "aevalsrc=exprs='%s|%s':s=44100:d=5.0," "$pad" "$pad_r"
  printf "lowpass=f=2500,volume=0.12,afade=t=in:d=0.4,afade=t=out:st=3.5:d=1.5,"
  printf "adelay=delays=26000:all=1[bedB];\n"
  labels="[bedA][bedB]"
  for i in "${!SENTENCES[@]}"; do
    ms=$(awk -v s="${STARTS[$i]}" 'BEGIN { printf "%d", s * 1000 }')
    printf "[%d:a]aresample=44100,aformat=sample_fmts=fltp:channel_layouts=stereo," "$((i + 1))"
    printf "volume=0.9,adelay=delays=%d:all=1[v%d];\n" "$ms" "$i"
    labels+="[v$i]"
  done
  printf "%samix=inputs=%d:duration=longest:normalize=0,apad,atrim=0:%s," \
    "$labels" "$((${#SENTENCES[@]} + 2))" "$DURATION"
  printf "alimiter=limit=0.9,asplit=2[aout][awave];\n"

  # picture: night blue, a faint waveform strip of the soundtrack, title cards that fade in and out
  printf "[awave]showwaves=s=1280x120:mode=cline:rate=24:scale=sqrt:colors=0x3a6ea5,format=yuva420p[wave];\n"
  printf "[0:v]format=yuv420p[bg];[bg][wave]overlay=x=0:y=560:format=auto,"
  printf "drawbox=c=black:t=fill:enable='between(t,19.5,21.5)'"
  if [ "$use_text" = 1 ]; then
    card() {  # card FILE FROM TO SIZE Y [COLOUR]
      printf ",drawtext=fontfile=font.ttf:textfile=%s:fontsize=%s:fontcolor=%s:x=(w-text_w)/2:y=%s" \
        "$1" "$4" "${6:-0xE8EEF7}" "$5"
      printf ":enable='between(t,%s,%s)':alpha='clip(min((t-%s)/0.4,(%s-t)/0.4),0,1)'" "$2" "$3" "$2" "$3"
    }
    printf 'SUBPIPE PICTURES PRESENTS' >"$tmp/c1.txt"
    printf '1983' >"$tmp/c2.txt"
    printf 'FORTY YEARS OF SILENCE' >"$tmp/c3.txt"
    printf 'THE SIGNAL IS BACK' >"$tmp/c4.txt"
    printf 'THIS WINTER' >"$tmp/c5.txt"
    printf 'THE QUIET FREQUENCY' >"$tmp/c6.txt"
    printf 'COMING SOON' >"$tmp/c7.txt"
    printf 'a self-made test clip for subpipe - CC0' >"$tmp/c8.txt"
    card c1.txt 0.4 3.8 44 300
    card c2.txt 4.2 11.0 120 260
    card c3.txt 11.6 15.2 64 300
    card c4.txt 15.6 19.0 64 300
    card c5.txt 21.6 25.6 64 300
    card c6.txt 26.0 31.8 84 260 0xF2D27A
    card c7.txt 27.0 31.8 40 380
    card c8.txt 27.0 31.8 22 660 0x8090A8
  fi
  printf "[vout]\n"
} >"$tmp/graph.txt"

inputs=(-f lavfi -i "color=c=0x0B1020:s=1280x720:r=24:d=$DURATION")
for i in "${!SENTENCES[@]}"; do inputs+=(-i "s$i.wav"); done

(
  cd -- "$tmp"
  "$FFMPEG" -nostdin -hide_banner -loglevel error -y "${inputs[@]}" \
    -filter_complex_script graph.txt -map '[vout]' -map '[aout]' \
    -c:v libx264 -preset slow -crf 33 -tune stillimage -pix_fmt yuv420p -r 24 -g 48 -threads 2 \
    -c:a aac -b:a 96k -ar 44100 -ac 2 \
    -t "$DURATION" -map_metadata -1 -map_chapters -1 \
    -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
    -metadata title="The Quiet Frequency (subpipe sample, CC0)" \
    -movflags +faststart out.mp4
)

install_file() {  # install_file SRC DEST: rename into place unless the bytes are the same
  if [ -f "$2" ] && cmp -s -- "$1" "$2"; then
    echo "unchanged: $2" >&2
    return
  fi
  cp -- "$1" "$2.tmp.$$"
  mv -f -- "$2.tmp.$$" "$2"
  echo "wrote: $2" >&2
}
install_file "$tmp/out.mp4" "$out"
install_file "$tmp/ref.txt" "$ref"
