#!/usr/bin/env bash
# Configures and builds spikefuse into $SF_BUILD (default build/). Extra arguments go to CMake.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cmake -S "$SF_ROOT" -B "$SF_BUILD" -G Ninja "$@"
cmake --build "$SF_BUILD" -j "$SF_JOBS"
