#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test spikefuse, and nothing when it has it all.
# The CUDA Toolkit is not installed here: with nvcc (on PATH or in /usr/local/cuda/bin) the CUDA backend
# is built, without it the CPU backend alone, and the build says so.
set -euo pipefail
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v ninja >/dev/null || need+=(ninja-build)
command -v cc >/dev/null || need+=(gcc libc6-dev)
dpkg -s libgomp1 >/dev/null 2>&1 || need+=(libgomp1)
[ -e /usr/include/cjson/cJSON.h ] || need+=(libcjson-dev)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v python3 >/dev/null || need+=(python3)
python3 -c "import torch" 2>/dev/null || python3 -m venv --help >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The peers' packages (peers/, requirements pinned in peers/requirements/): a GPU machine's python3 brings
# torch, and takes the pure wheels alone (carried in .peers/wheels where there is no registry); elsewhere
# a project virtual environment .peers/venv gets the pinned torch too (about 5 GB, a minute, once).
root="$(cd "$(dirname "$0")/.." && pwd)"
if python3 -c "import torch" 2>/dev/null; then
  "$root/peers/install.sh" install python3 ||
    echo "install-deps: the peers' wheels could not be installed; the peers part will record them as skipped" >&2
else
  "$root/peers/install.sh" venv
fi
