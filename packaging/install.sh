#!/usr/bin/env bash
# Install the bundle (built by packaging/build.sh) for the current user, freedesktop style:
#   $PREFIX/opt/lookout/                    the bundle (a copy of dist/lookout)
#   $PREFIX/bin/lookout                     a symlink to $PREFIX/opt/lookout/lookout
#   $PREFIX/share/applications/lookout.desktop   the menu entry (Exec: the installed binary)
#   $PREFIX/share/metainfo/io.github.lookout.Lookout.metainfo.xml
#   $PREFIX/share/icons/hicolor/<N>x<N>/apps/lookout.png and scalable/apps/lookout.svg
# PREFIX defaults to $HOME/.local; DIST (default dist/lookout) is the bundle to install.
# packaging/uninstall.sh removes exactly these.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
prefix="${PREFIX:-$HOME/.local}"
dist="${DIST:-$repo/dist/lookout}"
[ -x "$dist/lookout" ] || { echo "packaging/install.sh: no bundle at $dist (run bash packaging/build.sh)" >&2; exit 1; }

opt="$prefix/opt/lookout"
icons="$repo/resources/icons"
# The folders this install creates, so uninstall.sh removes those and only those.
created=()
make_dir() {
  local dir="$1" missing=()
  while [ ! -d "$dir" ]; do missing=("$dir" "${missing[@]}"); dir="$(dirname "$dir")"; done
  ((${#missing[@]})) || return 0
  mkdir -p "$1"
  created+=("${missing[@]}")
}
if [ -f "$opt/.installed-folders" ]; then
  mapfile -t created < "$opt/.installed-folders"  # a reinstall keeps the first install's list
fi
rm -rf "$opt"
make_dir "$prefix/opt"; make_dir "$prefix/bin"
make_dir "$prefix/share/applications"; make_dir "$prefix/share/metainfo"
for png in "$icons"/hicolor/*/apps/lookout.png; do
  make_dir "$prefix/share/icons/hicolor/$(basename "$(dirname "$(dirname "$png")")")/apps"
done
make_dir "$prefix/share/icons/hicolor/scalable/apps"
cp -a "$dist" "$opt"
((${#created[@]})) && printf '%s\n' "${created[@]}" > "$opt/.installed-folders" || : > "$opt/.installed-folders"
ln -sfn "$opt/lookout" "$prefix/bin/lookout"

# Exec takes a quoted path when it has spaces (Desktop Entry spec, "The Exec key").
exec_path="$opt/lookout"
case "$exec_path" in *" "*) exec_path="\"$exec_path\"" ;; esac
sed "s|^Exec=.*|Exec=$exec_path|" "$here/lookout.desktop" > "$prefix/share/applications/lookout.desktop"
cp "$here/io.github.lookout.Lookout.metainfo.xml" "$prefix/share/metainfo/"

for png in "$icons"/hicolor/*/apps/lookout.png; do
  size="$(basename "$(dirname "$(dirname "$png")")")"
  cp "$png" "$prefix/share/icons/hicolor/$size/apps/lookout.png"
done
cp "$icons/lookout.svg" "$prefix/share/icons/hicolor/scalable/apps/lookout.svg"

# Desktops watch these folders, so nothing needs refreshing, except an icon cache that is
# already there (made by another install): it would not list our icon. The entry has no
# MimeType, so the desktop database (mimeinfo.cache) does not change.
refresh_icon_cache() {
  local theme="$1/share/icons/hicolor"
  if [ -f "$theme/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t "$theme" 2>/dev/null || true
  fi
}
refresh_icon_cache "$prefix"
echo "installed Lookout into $opt; run $prefix/bin/lookout or open it from the menu"
