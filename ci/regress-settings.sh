# Sourced by ci/regress.sh and ci/ab-compare.sh: what a backend's regression run measures.
#   regress_settings cpu|cuda   sets $preset and the array $measure (sweep options); returns 1 otherwise
regress_settings() {
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
}
