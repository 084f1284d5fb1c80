/* Storage for the host shim's built-ins, and its fault handler. */
#include "cpu_shim.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

_Thread_local dim3 blockIdx, threadIdx, blockDim, gridDim;

void sf_cpu_fault(const char *what, const void *addr)
{
    fprintf(stderr, "spikefuse: kernel fault on the CPU backend: %s (address %p)\n", what, addr);
    abort();
}

int sf_cpu_default_threads(void)
{
    return omp_get_max_threads();
}
