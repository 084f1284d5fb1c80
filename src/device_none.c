/* The CUDA side of the buffer API when spikefuse is built without CUDA: every call says so. */
#include "internal.h"

#define NO_CUDA sf_fail(SF_ERR_NODEVICE, "spikefuse was built without CUDA (no nvcc at configure time)")

sf_status sf_cuda_available(void) { return NO_CUDA; }
sf_status sf_cuda_alloc(size_t bytes, void **out) { (void)bytes; *out = NULL; return NO_CUDA; }
void sf_cuda_free(void *p) { (void)p; }
sf_status sf_cuda_copy(void *dst, const void *src, size_t bytes) { (void)dst, (void)src, (void)bytes; return NO_CUDA; }
sf_status sf_cuda_memset(void *dst, int value, size_t bytes) { (void)dst, (void)value, (void)bytes; return NO_CUDA; }
sf_status sf_cuda_synchronize(void) { return NO_CUDA; }
