#!/bin/sh
# Start maxproxy at login on Linux.
#
#   installers/linux/install.sh             XDG autostart: started by your desktop session (default)
#   installers/linux/install.sh --systemd   a systemd user unit instead (graphical-session.target)
#
# Other arguments go to `maxproxy login-item enable` as they are. The files it writes are
# generated (with quoting for any path) from the same code as the templates beside this
# script; see installers/README.md.
set -eu

MAXPROXY=${MAXPROXY:-$(command -v maxproxy 2>/dev/null || true)}
if [ -z "$MAXPROXY" ]; then
  echo "maxproxy is not on PATH. Install it first (npm install -g maxproxy), or set MAXPROXY=/path/to/maxproxy." >&2
  exit 1
fi

# The tray binary links GTK 3 and libappindicator3.so.1 (provided by
# libayatana-appindicator3-1). Without them maxproxy still runs, headless.
has_lib() {
  for d in /usr/lib/*-linux-gnu /lib/*-linux-gnu /usr/lib64 /usr/lib /lib64 /lib; do
    [ -e "$d/$1" ] && return 0
  done
  return 1
}
missing=""
has_lib libgtk-3.so.0 || missing="$missing libgtk-3-0"
has_lib libappindicator3.so.1 || missing="$missing libayatana-appindicator3-1"
if [ -n "$missing" ]; then
  echo "note: the tray icon needs:$missing (Debian/Ubuntu: sudo apt install$missing); until then maxproxy runs headless." >&2
fi
if ! command -v notify-send >/dev/null 2>&1; then
  echo "note: desktop notifications need notify-send (Debian/Ubuntu: sudo apt install libnotify-bin)." >&2
fi

exec "$MAXPROXY" login-item enable "$@"
