#!/bin/sh
# Remove Maritime Exposure Check as install.sh put it under ~/.local: the files listed in
# installed-files.txt, then the program's folder. Reviews and settings stay (your data:
# ~/.local/share/ExposureCheck, ~/.config/MaritimeExposure); delete them by hand if you wish.
set -eu
APP=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$APP/installed-files.txt" ]; then
    echo "uninstall.sh: $APP/installed-files.txt missing: run the installed copy's uninstall.sh" >&2
    exit 1
fi
while IFS= read -r path; do
    [ -n "$path" ] && rm -f "$path"
done < "$APP/installed-files.txt"
rm -rf "$APP"
DATA=$(dirname "$APP")
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA/applications" || true
fi
[ "${1:-}" = "--keep-quiet" ] || echo "Removed Maritime Exposure Check from $APP"
