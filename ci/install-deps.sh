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
if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
