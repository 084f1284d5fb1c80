# Sourced by ci/regress.sh and ci/ab-compare.sh: what a backend's regression run measures, and how.
#   regress_settings cpu|cuda   sets $backend, $preset and the array $measure (sweep options); returns 1
#                               for another backend. $SF_REGRESS_MEASURE, where set, replaces the
#                               measure options (the scripts' own tests measure briefly: they check what
#                               the scripts decide, not the machine)
#   regress_sweep BIN OUT.json  one fresh run of the preset with that spikefuse binary
#   regress_runs_ok WHAT VALUE  whether VALUE is a run count (a whole number >= 1); says so if not
regress_settings() {
  backend="$1"
  case "$1" in
    cpu)
      preset=ci-cpu
      measure=(--min-samples 10 --min-time 0.2 --timeout 5 --no-hot)
      # the CPU gates hold with OpenMP's passive waiting (ci/gates/cpu.json)
      export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
      ;;
    cuda)
      preset=ci-short
      measure=(--timeout "${SF_REGRESS_TIMEOUT:-15}")
      ;;
    *) return 1 ;;
  esac
  if [ -n "${SF_REGRESS_MEASURE:-}" ]; then
    read -r -a measure <<<"$SF_REGRESS_MEASURE"
  fi
}

# The preset goes by path, so that a binary built from another revision measures the same states.
regress_sweep() {
  rm -f "$2" # a fresh measurement: a sweep would resume from a file an earlier check left
  "$1" sweep --preset "$(dirname "${BASH_SOURCE[0]}")/../harness/presets/$preset.json" --backend "$backend" \
    "${measure[@]}" --out "$2" >&2
}

regress_runs_ok() {
  case "$2" in
    '' | *[!0-9]* | 0) echo "$1 must be a whole number >= 1" >&2; return 1 ;;
  esac
}
