#!/usr/bin/env bash
# Make sure a headless browser and its driver are there for the web page test (tests/test_quotes_web.py):
# Debian's chromium + chromium-driver (installed with apt-get when root). Nothing downloads a browser
# build of its own. Without them the browser test skips with a reason; nothing else needs them.
# $SUBPIPE_CHROMIUM / $SUBPIPE_CHROMEDRIVER point at other binaries.
set -uo pipefail
have() { command -v "$1" >/dev/null 2>&1; }
browser=${SUBPIPE_CHROMIUM:-}
driver=${SUBPIPE_CHROMEDRIVER:-}
if { [ -n "$browser" ] && [ -x "$browser" ] || have chromium || have chromium-browser; } &&
   { [ -n "$driver" ] && [ -x "$driver" ] || have chromedriver; }; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "installing chromium and chromium-driver with apt-get (for the web page test)"
  export DEBIAN_FRONTEND=noninteractive
  if (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver) \
      >/tmp/subpipe-apt-browser.log 2>&1; then
    exit 0
  fi
  echo "apt-get could not install chromium (see /tmp/subpipe-apt-browser.log)" >&2
fi
echo "no chromium + chromedriver: the web page browser test will be skipped" >&2
exit 0
