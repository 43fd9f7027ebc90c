#!/bin/sh
# Install Maritime Exposure Check for the current user, under ~/.local (no root needed):
#   ~/.local/share/maritime-exposure/    the program, its licences and uninstall.sh
#   ~/.local/bin/exposure                 a link to the program (the command line)
#   ~/.local/share/applications/maritime-exposure.desktop, icons, AppStream metainfo
# XDG_DATA_HOME, when set, replaces ~/.local/share. Run it from the unpacked tarball.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=$HOME/.local/bin
APP=$DATA/maritime-exposure
EXE=$APP/exposure/exposure

if [ ! -x "$HERE/exposure/exposure" ]; then
    echo "install.sh: $HERE/exposure/exposure is missing: run it from the unpacked tarball" >&2
    exit 1
fi
if [ -e "$APP" ]; then
    echo "install.sh: replacing the installed copy in $APP"
    "$APP/uninstall.sh" --keep-quiet || rm -rf "$APP"
fi
mkdir -p "$APP" "$BIN" "$DATA/applications" "$DATA/metainfo"
cp -a "$HERE/exposure" "$HERE/LICENSE" "$HERE/licenses" "$HERE/uninstall.sh" "$APP/"
[ -f "$HERE/INSTALL.md" ] && cp "$HERE/INSTALL.md" "$APP/"
: > "$APP/installed-files.txt"
note() { printf '%s\n' "$1" >> "$APP/installed-files.txt"; }

if [ -e "$BIN/exposure" ] && [ ! -L "$BIN/exposure" ]; then
    echo "install.sh: $BIN/exposure exists and is not ours: left as it is" >&2
else
    ln -sfn "$EXE" "$BIN/exposure"
    note "$BIN/exposure"
fi
# The Desktop Entry spec: Exec's argument in double quotes with \ " ` $ escaped, then every
# backslash doubled (the string escape rule); TryExec takes the doubling only. The last sed
# step protects \ & | from the sed below.
EXEC_Q=$(printf '%s' "$EXE" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/[\\&|]/\\&/g')
TRY_Q=$(printf '%s' "$EXE" | sed -e 's/\\/\\\\/g' -e 's/[\\&|]/\\&/g')
sed -e "s|@EXEC@|\"$EXEC_Q\"|" -e "s|^TryExec=.*|TryExec=$TRY_Q|" \
    "$HERE/share/applications/maritime-exposure.desktop" \
    > "$DATA/applications/maritime-exposure.desktop"
note "$DATA/applications/maritime-exposure.desktop"
cp "$HERE/share/metainfo/maritime-exposure.metainfo.xml" "$DATA/metainfo/"
note "$DATA/metainfo/maritime-exposure.metainfo.xml"
for icon in $(cd "$HERE/share" && find icons -type f); do
    mkdir -p "$DATA/$(dirname "$icon")"
    cp "$HERE/share/$icon" "$DATA/$icon"
    note "$DATA/$icon"
done
# Menus and icon themes notice new entries sooner with their caches refreshed (optional tools).
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
fi

echo "Installed Maritime Exposure Check in $APP"
echo "  menu entry: $DATA/applications/maritime-exposure.desktop"
echo "  command:    $BIN/exposure (add $BIN to PATH if your shell does not have it)"
echo "  check it:   $BIN/exposure --self-test"
echo "  remove it:  $APP/uninstall.sh"
