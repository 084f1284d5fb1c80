# Sourced by the ci/ scripts: finds nvcc where the CUDA Toolkit puts it, and picks a build folder.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
SF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SF_BUILD="${SF_BUILD:-$SF_ROOT/build}"
SF_JOBS="${SF_JOBS:-$(nproc)}"
