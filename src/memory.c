/* Buffers on either backend. The CPU's are page-aligned host memory, refused up front when larger
 * than the machine's physical memory rather than left to the OOM killer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

uint64_t sf_host_memory_bytes(void)
{
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* One line of a cache attribute file of CPU 0 ("index%d/name"), or "" where there is none. */
static void read_cache_attr(int index, const char *name, char *buf, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, name);
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f) {
        if (!fgets(buf, (int)n, f))
            buf[0] = '\0';
        fclose(f);
    }
}

int64_t sf_host_cache_bytes(int level)
{
    for (int i = 0; i < 8; ++i) {
        char buf[64], unit = 0;
        read_cache_attr(i, "level", buf, sizeof buf);
        if (atoi(buf) != level)
            continue;
        read_cache_attr(i, "type", buf, sizeof buf);
        if (strncmp(buf, "Instruction", 11) == 0)
            continue;
        read_cache_attr(i, "size", buf, sizeof buf);
        long long v = 0;
        if (sscanf(buf, "%lld%c", &v, &unit) >= 1)
            return (int64_t)v * (unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : 1);
    }
    return 0;
}

int sf_built_with_cuda(void)
{
#ifdef SF_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

sf_status sf_backend_available(sf_backend b)
{
    switch (b) {
    case SF_BACKEND_CPU: return SF_OK;
    case SF_BACKEND_CUDA: return sf_cuda_available();
    }
    return sf_fail(SF_ERR_INVALID, "unknown backend %d", (int)b);
}

static sf_status cpu_alloc(size_t bytes, void **out)
{
    const uint64_t have = sf_host_memory_bytes();
    if (have && bytes > have)
        return sf_fail(SF_ERR_NOMEM, "a buffer of %.2f GiB does not fit in this machine's %.2f GiB of memory",
                       (double)bytes / (1 << 30), (double)have / (1 << 30));
    const size_t align = 4096, rounded = (bytes + align - 1) / align * align;
    if (rounded < bytes)
        return sf_fail(SF_ERR_NOMEM, "buffer size %zu overflows", bytes);
    *out = aligned_alloc(align, rounded ? rounded : align);
    if (!*out)
        return sf_fail(SF_ERR_NOMEM, "could not allocate %.2f GiB of host memory", (double)bytes / (1 << 30));
    return SF_OK;
}

sf_status sf_alloc(sf_backend b, size_t bytes, void **out)
{
    *out = NULL;
    switch (b) {
    case SF_BACKEND_CPU: return cpu_alloc(bytes, out);
    case SF_BACKEND_CUDA: return sf_cuda_alloc(bytes, out);
    }
    return sf_fail(SF_ERR_INVALID, "unknown backend %d", (int)b);
}

void sf_free(sf_backend b, void *p)
{
    if (!p)
        return;
    if (b == SF_BACKEND_CUDA)
        sf_cuda_free(p);
    else
        free(p);
}

sf_status sf_upload(sf_backend b, void *dst, const void *host_src, size_t bytes)
{
    if (b == SF_BACKEND_CUDA)
        return sf_cuda_copy(dst, host_src, bytes);
    memcpy(dst, host_src, bytes);
    return SF_OK;
}

sf_status sf_download(sf_backend b, void *host_dst, const void *src, size_t bytes)
{
    if (b == SF_BACKEND_CUDA)
        return sf_cuda_copy(host_dst, src, bytes);
    memcpy(host_dst, src, bytes);
    return SF_OK;
}

sf_status sf_memset(sf_backend b, void *dst, int value, size_t bytes)
{
    if (b == SF_BACKEND_CUDA)
        return sf_cuda_memset(dst, value, bytes);
    memset(dst, value, bytes);
    return SF_OK;
}

sf_status sf_synchronize(sf_backend b)
{
    return b == SF_BACKEND_CUDA ? sf_cuda_synchronize() : SF_OK;
}
