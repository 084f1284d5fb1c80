/* Storage for the host shim's built-ins, its fault handler, and the streaming rule. */
#include "cpu_shim.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

_Thread_local dim3 blockIdx, threadIdx, blockDim, gridDim;
_Thread_local int sf_cpu_streaming;
int sf_cpu_thread_schedule;

void sf_cpu_set_schedule(sf_cpu_schedule s)
{
    sf_cpu_thread_schedule = s == SF_CPU_THREAD_ORDER;
}

void sf_cpu_fault(const char *what, const void *addr)
{
    fprintf(stderr, "spikefuse: kernel fault on the CPU backend: %s (address %p)\n", what, addr);
    abort();
}

int sf_cpu_default_threads(void)
{
    return omp_get_max_threads();
}

/* The last-level cache one core sees; 32 MiB where the system does not say. Read once. */
static double llc_bytes(void)
{
    static _Atomic int64_t bytes;
    int64_t b = atomic_load(&bytes);
    if (b == 0) {
        b = sf_host_cache_bytes(3);
        if (b <= 0)
            b = sf_host_cache_bytes(2);
        if (b <= 0)
            b = (int64_t)32 << 20;
        atomic_store(&bytes, b);
    }
    return (double)b;
}

/* A quarter of the last-level cache, as glibc's memcpy has chosen since 2.38: what a launch writes
 * beyond that is unlikely to be read back from the cache by the next launch, which shares it with the
 * launch's own reads and with every other core. */
int sf_cpu_stream_stores(double bytes)
{
    return bytes > 0.25 * llc_bytes();
}

void *sf_cpu_registers(int threads, unsigned block, size_t bytes)
{
    void *p = calloc((size_t)threads * block, bytes);
    if (!p)
        sf_fail(SF_ERR_NOMEM, "CPU backend: no memory for %d x %u thread registers", threads, block);
    return p;
}

void *sf_cpu_shared(int threads, size_t bytes)
{
    void *p = aligned_alloc(64, (size_t)threads * bytes);
    if (!p)
        sf_fail(SF_ERR_NOMEM, "CPU backend: no memory for %d x %zu bytes of shared memory", threads, bytes);
    return p;
}

static _Atomic uint64_t staged_copies;

void sf_cpu_count_staged_copy(void)
{
    atomic_fetch_add_explicit(&staged_copies, 1, memory_order_relaxed);
}

uint64_t sf_cpu_staged_copies(void)
{
    return atomic_load_explicit(&staged_copies, memory_order_relaxed);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Compiled for F16C (and the AVX it implies) alone; called only where the CPU has it (cpu_shim.h). */
__attribute__((target("avx,f16c"))) void sf_cpu_f16c_widen(float *dst, const uint16_t *src, int n)
{
    for (int j = 0; j < n; j += 8)
        _mm256_storeu_ps(dst + j, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(src + j))));
}

__attribute__((target("avx,f16c"))) void sf_cpu_f16c_narrow(uint16_t *dst, const float *src, int n, int stream)
{
    for (int j = 0; j < n; j += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + j), _MM_FROUND_TO_NEAREST_INT);
        if (stream)
            _mm_stream_si128((__m128i *)(void *)(dst + j), h);
        else
            _mm_storeu_si128((__m128i *)(void *)(dst + j), h);
    }
}
#endif
