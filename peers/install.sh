#!/usr/bin/env bash
# The peers' pinned packages (requirements/*.txt), in git-ignored folders of the checkout:
#   peers/install.sh download   the pure wheels into .peers/wheels/<group>/ (PyPI; for a GPU machine without
#                               a registry, carry .peers/wheels there)
#   peers/install.sh install [PYTHON]
#                               each group into .peers/lib/<group>/ (pip --no-index --no-deps --target; both
#                               SpikingJelly versions are the package `spikingjelly`, so each has its folder)
#   peers/install.sh venv       a project virtual environment .peers/venv with the pinned torch and numpy
#                               (CPU machines; a GPU machine brings its own), then `install` with it
# Each step does nothing when what it would make is there and matches the requirements.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
req="$root/peers/requirements"
dot="$root/.peers"
groups=(common sj014 sj2)
pyver="${SF_PEERS_PYTHON_VERSION:-3.12}" # the GPU machine's; the wheels are pure, any python3 >= 3.11 takes them

stamp() { sha256sum < "$req/$1.txt" | cut -c1-16; }

download() {
  for g in "${groups[@]}"; do
    local dir="$dot/wheels/$g"
    if [ -e "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$(stamp "$g")" ]; then continue; fi
    rm -rf "$dir" && mkdir -p "$dir"
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$pyver" -r "$req/$g.txt" -d "$dir"
    stamp "$g" > "$dir/.stamp"
  done
  echo "peers: wheels in $dot/wheels: $(cd "$dot/wheels" && ls ./*/*.whl | xargs -n1 basename | tr '\n' ' ')" >&2
}

install() {
  local py="${1:-python3}" did=0
  for g in "${groups[@]}"; do
    local lib="$dot/lib/$g" wheels="$dot/wheels/$g"
    if [ -e "$lib/.stamp" ] && [ "$(cat "$lib/.stamp")" = "$(stamp "$g")" ]; then continue; fi
    if [ ! -e "$wheels/.stamp" ] || [ "$(cat "$wheels/.stamp")" != "$(stamp "$g")" ]; then download; fi
    rm -rf "$lib" && mkdir -p "$lib"
    "$py" -m pip install -q --no-index --no-deps --disable-pip-version-check --target "$lib" "$wheels"/*.whl
    stamp "$g" > "$lib/.stamp"
    did=1
  done
  [ "$did" = 0 ] || echo "peers: installed into $dot/lib ($("$py" --version 2>&1))" >&2
}

venv() {
  local v="$dot/venv" want
  want="$(stamp torch)"
  if [ ! -e "$v/.stamp" ] || [ "$(cat "$v/.stamp")" != "$want" ]; then
    rm -rf "$v"
    python3 -m venv "$v"
    echo "peers: installing $(grep -v '^#' "$req/torch.txt" | tr '\n' ' ')into $v (about 5 GB, a minute)" >&2
    "$v/bin/pip" install -q --disable-pip-version-check -r "$req/torch.txt"
    echo "$want" > "$v/.stamp"
  fi
  install "$v/bin/python"
}

case "${1:-}" in
  download) download ;;
  install) install "${2:-python3}" ;;
  venv) venv ;;
  *) echo "usage: peers/install.sh download | install [PYTHON] | venv" >&2; exit 2 ;;
esac
