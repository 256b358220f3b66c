#!/bin/sh
# Stop starting maxproxy at login on macOS: unloads the LaunchAgent
# (launchctl bootout gui/$UID/dev.maxproxy.daemon) and removes its plist.
# Arguments go to `maxproxy login-item disable`.
set -eu

MAXPROXY=${MAXPROXY:-$(command -v maxproxy 2>/dev/null || true)}
if [ -z "$MAXPROXY" ]; then
  # maxproxy may already be uninstalled: remove the agent by hand.
  launchctl bootout "gui/$(id -u)/dev.maxproxy.daemon" 2>/dev/null || true
  rm -f "$HOME/Library/LaunchAgents/dev.maxproxy.daemon.plist"
  echo "maxproxy not found on PATH; removed its LaunchAgent directly."
  exit 0
fi

exec "$MAXPROXY" login-item disable "$@"
