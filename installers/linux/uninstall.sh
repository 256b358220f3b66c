#!/bin/sh
# Stop starting maxproxy at login on Linux: removes the XDG autostart entry and/or the
# systemd user unit (disabling and stopping it). Arguments go to `maxproxy login-item disable`.
set -eu

MAXPROXY=${MAXPROXY:-$(command -v maxproxy 2>/dev/null || true)}
if [ -z "$MAXPROXY" ]; then
  # maxproxy may already be uninstalled: remove the files by hand.
  config=${XDG_CONFIG_HOME:-$HOME/.config}
  if [ -f "$config/systemd/user/maxproxy.service" ]; then
    systemctl --user disable --now maxproxy.service 2>/dev/null || true
    rm -f "$config/systemd/user/maxproxy.service"
    systemctl --user daemon-reload 2>/dev/null || true
  fi
  rm -f "$config/autostart/maxproxy.desktop"
  echo "maxproxy not found on PATH; removed its login items directly."
  exit 0
fi

exec "$MAXPROXY" login-item disable "$@"
