#!/usr/bin/env bash
# Make sure a real ffmpeg is there: $FFMPEG_PATH, the system one, Debian's package (when root),
# and failing that the binary inside the imageio-ffmpeg wheel (the ffmpeg extra: pip install 'subpipe[ffmpeg]').
set -uo pipefail
if [ -n "${FFMPEG_PATH:-}" ] && [ -x "$FFMPEG_PATH" ]; then exit 0; fi
if command -v ffmpeg >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ffmpeg with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if (apt-get update -qq && apt-get install -y -qq --no-install-recommends ffmpeg) >/tmp/subpipe-apt.log 2>&1; then
    exit 0
  fi
  echo "apt-get could not install ffmpeg (see /tmp/subpipe-apt.log)" >&2
fi
echo "no system ffmpeg: subpipe will use the binary shipped in the imageio-ffmpeg wheel" >&2
exit 0
