#!/usr/bin/env bash
# Prepares .deps/ (git-ignored) for a GPU machine that has no package registry: Debian's cJSON packages
# unpacked into .deps/usr (ci/gpu-check.sh points CMake there), and .deps/source-commit, the commit the
# tree is (with a dirty flag), since the copy sent there has no .git. Run here, then carry .deps.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
deps="$root/.deps"
mkdir -p "$deps/debs"
if ! ls "$deps"/debs/libcjson-dev_*.deb >/dev/null 2>&1; then
  (cd "$deps/debs" && apt-get download libcjson1 libcjson-dev)
fi
for deb in "$deps"/debs/*.deb; do dpkg -x "$deb" "$deps"; done
# the -dev package's libcjson.so is an absolute symlink on some releases: make it relative
lib="$deps/usr/lib/x86_64-linux-gnu"
[ -e "$lib/libcjson.so" ] || ln -sf "$(basename "$(ls "$lib"/libcjson.so.1.* | head -1)")" "$lib/libcjson.so"
{ git -C "$root" rev-parse HEAD; [ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ] && echo 0 || echo 1; } > "$deps/source-commit"
echo "gpu-deps: $(ls "$deps"/debs | tr '\n' ' ')commit $(head -1 "$deps/source-commit")"
