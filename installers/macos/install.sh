#!/bin/sh
# Start maxproxy at login on macOS: writes ~/Library/LaunchAgents/dev.maxproxy.daemon.plist
# and loads it now (launchctl bootstrap gui/$UID). Arguments go to
# `maxproxy login-item enable` as they are; see installers/README.md.
set -eu

MAXPROXY=${MAXPROXY:-$(command -v maxproxy 2>/dev/null || true)}
if [ -z "$MAXPROXY" ]; then
  echo "maxproxy is not on PATH. Install it first (npm install -g maxproxy), or set MAXPROXY=/path/to/maxproxy." >&2
  exit 1
fi

# The tray binary shipped by systray2 is x86_64 only: Apple silicon runs it under Rosetta 2.
if [ "$(uname -m)" = "arm64" ] && ! /usr/bin/arch -x86_64 /usr/bin/true 2>/dev/null; then
  echo "note: the menu bar icon needs Rosetta 2: softwareupdate --install-rosetta --agree-to-license" >&2
  echo "      Without it maxproxy still runs, headless." >&2
fi

exec "$MAXPROXY" login-item enable "$@"
