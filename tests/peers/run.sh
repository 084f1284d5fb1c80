#!/usr/bin/env bash
# CTest's `peers` test: tests/peers/test_peers.py with the peers' Python (SF_PEERS_PYTHON, else .peers/venv,
# else python3). Without torch it is skipped (77), unless SF_PEERS_REQUIRED=1 (ci/test.sh sets it): there
# a missing environment fails.
#   tests/peers/run.sh SOURCE_DIR SPIKEFUSE WORK_DIR
set -euo pipefail
src="$1"
export SPIKEFUSE="$2" SF_PEERS_TEST_DIR="$3"
py="${SF_PEERS_PYTHON:-}"
[ -n "$py" ] || { [ -x "$src/.peers/venv/bin/python" ] && py="$src/.peers/venv/bin/python"; } || py=python3
if ! "$py" -c "import torch, numpy" 2>/dev/null; then
  echo "peers: $py has no torch and numpy (peers/install.sh venv installs them)"
  [ "${SF_PEERS_REQUIRED:-0}" = 1 ] && exit 1
  exit 77
fi
rm -rf "$SF_PEERS_TEST_DIR" && mkdir -p "$SF_PEERS_TEST_DIR"
cd "$src"
exec "$py" -m unittest -v tests/peers/test_peers.py
