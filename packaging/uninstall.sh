#!/usr/bin/env bash
# Remove what packaging/install.sh installed (same PREFIX, default $HOME/.local), and the
# folders it created (listed in $PREFIX/opt/lookout/.installed-folders) once they are empty. The data (the store, settings, logs) stays: see the
# README's "Install it" section for where it lives.
set -euo pipefail
prefix="${PREFIX:-$HOME/.local}"
opt="$prefix/opt/lookout"

created=()
[ -f "$opt/.installed-folders" ] && mapfile -t created < "$opt/.installed-folders"
rm -rf "$opt"
# Only our symlink: a lookout installed by pipx in the same folder is left alone.
if [ -L "$prefix/bin/lookout" ] && [ "$(readlink "$prefix/bin/lookout")" = "$opt/lookout" ]; then
  rm -f "$prefix/bin/lookout"
fi
rm -f "$prefix/share/applications/lookout.desktop" \
      "$prefix/share/metainfo/io.github.lookout.Lookout.metainfo.xml" \
      "$prefix/share/icons/hicolor/scalable/apps/lookout.svg"
rm -f "$prefix"/share/icons/hicolor/*x*/apps/lookout.png
# An icon cache that was there before install.sh must stop listing our icon.
theme="$prefix/share/icons/hicolor"
if [ -f "$theme/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
  gtk-update-icon-cache -q -t "$theme" 2>/dev/null || true
fi

# The folders install.sh created, deepest first, if nothing else has moved in since.
for ((i = ${#created[@]} - 1; i >= 0; i--)); do
  rmdir "${created[i]}" 2>/dev/null || true
done
echo "removed Lookout from $prefix (your data is kept)"
