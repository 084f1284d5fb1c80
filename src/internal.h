/* Helpers shared by the library's sources; not part of the public API. */
#ifndef SF_INTERNAL_H
#define SF_INTERNAL_H

#include "spikefuse.h"

#if defined(__GNUC__)
#define SF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SF_PRINTF(f, a)
#endif

/* Records a one-line message as the calling thread's last error and returns s. */
sf_status sf_fail(sf_status s, const char *fmt, ...) SF_PRINTF(2, 3);

/* a * b into *out unless it overflows int64 (then 0). Both >= 0. */
int sf_mul_ok(int64_t a, int64_t b, int64_t *out);

/* Bytes of physical memory on this machine (0 if unknown). */
uint64_t sf_host_memory_bytes(void);
/* Size of CPU 0's data or unified cache of a level (1, 2, 3) as sysfs reports it; 0 if unknown. It is
 * the share one core sees, where the C library may report a whole package's. */
int64_t sf_host_cache_bytes(int level);
/* Writes the n parts to path atomically (temporary file, fsync, rename); SF_ERR_IO with a message. */
sf_status sf_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes, int n);

/* The CUDA side of the buffer API (device_cuda.c, or device_none.c without CUDA). */
sf_status sf_cuda_available(void);
sf_status sf_cuda_alloc(size_t bytes, void **out);
void sf_cuda_free(void *p);
sf_status sf_cuda_copy(void *dst, const void *src, size_t bytes);
sf_status sf_cuda_memset(void *dst, int value, size_t bytes);
sf_status sf_cuda_synchronize(void);
sf_status sf_cuda_fail(int err, const char *what); /* also called by generated CUDA code */

#endif
