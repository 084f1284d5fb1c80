/* Device fingerprints: the CPU from /proc and sysfs, the GPU through device_cuda.c. */
#include "device.h"

#include <ctype.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spikefuse_core.h"

/* "NVIDIA H100 80GB HBM3" -> "nvidia-h100-80gb-hbm3" */
static void slugify(const char *in, char *out, size_t n)
{
    size_t j = 0;
    int dash = 1;
    for (const char *c = in; *c && j + 1 < n; ++c) {
        if (isalnum((unsigned char)*c)) {
            out[j++] = (char)tolower((unsigned char)*c);
            dash = 0;
        } else if (!dash) {
            out[j++] = '-';
            dash = 1;
        }
    }
    while (j > 0 && out[j - 1] == '-')
        --j;
    out[j] = '\0';
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; ++i)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static sf_status query_cpu(sf_device_info *d)
{
    snprintf(d->name, sizeof d->name, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) {
                snprintf(d->name, sizeof d->name, "%s", v + 2);
                d->name[strcspn(d->name, "\n")] = '\0';
            }
            break;
        }
    }
    if (f)
        fclose(f);
    d->cores_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    d->threads_used = omp_get_max_threads();
    d->memory_bytes = (int64_t)sf_host_memory_bytes();
    d->l1d_bytes = sf_host_cache_bytes(1);
    d->l2_cpu_bytes = sf_host_cache_bytes(2);
    d->l3_bytes = sf_host_cache_bytes(3);
    char base[200];
    slugify(d->name, base, sizeof base);
    snprintf(d->slug, sizeof d->slug, "cpu-%.70s-%dt", base, d->threads_used);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, d->name, strlen(d->name));
    h = fnv1a(h, &d->threads_used, sizeof d->threads_used);
    h = fnv1a(h, &d->l3_bytes, sizeof d->l3_bytes);
    h = fnv1a(h, &d->l2_cpu_bytes, sizeof d->l2_cpu_bytes);
    snprintf(d->key, sizeof d->key, "%016llx", (unsigned long long)h);
    return SF_OK;
}

sf_status sf_device_query(sf_backend b, sf_device_info *d)
{
    memset(d, 0, sizeof *d);
    d->backend = b;
    if (b == SF_BACKEND_CPU)
        return query_cpu(d);
    const sf_status s = sf_device_query_cuda(d);
    if (s != SF_OK)
        return s;
    char base[200];
    slugify(d->name, base, sizeof base);
    snprintf(d->slug, sizeof d->slug, "%.90s", base);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, d->name, strlen(d->name));
    const int fields[] = {d->cc_major, d->cc_minor, d->sm_count, d->bus_width_bits, d->sm_clock_khz, d->mem_clock_khz,
                          d->ecc};
    h = fnv1a(h, fields, sizeof fields);
    h = fnv1a(h, &d->l2_bytes, sizeof d->l2_bytes);
    h = fnv1a(h, &d->memory_bytes, sizeof d->memory_bytes);
    snprintf(d->key, sizeof d->key, "%016llx", (unsigned long long)h);
    return SF_OK;
}

void sf_device_arch(const sf_device_info *d, char *out, size_t n)
{
    if (d->backend == SF_BACKEND_CUDA)
        snprintf(out, n, "sm_%d%d", d->cc_major, d->cc_minor);
    else
        snprintf(out, n, "%s", d->name);
}

int64_t sf_device_flush_bytes(const sf_device_info *d)
{
    if (d->backend == SF_BACKEND_CUDA)
        return d->l2_bytes;
    return d->l3_bytes ? d->l3_bytes : d->l2_cpu_bytes ? d->l2_cpu_bytes : (int64_t)32 << 20;
}

cJSON *sf_device_to_json(const sf_device_info *d)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "backend", sf_backend_name(d->backend));
    cJSON_AddStringToObject(j, "name", d->name);
    cJSON_AddStringToObject(j, "key", d->key);
    cJSON_AddStringToObject(j, "slug", d->slug);
    cJSON_AddNumberToObject(j, "memory_bytes", (double)d->memory_bytes);
    if (d->backend == SF_BACKEND_CUDA) {
        cJSON_AddStringToObject(j, "uuid", d->uuid);
        cJSON_AddStringToObject(j, "pci_bus_id", d->pci_bus_id);
        char cc[16];
        snprintf(cc, sizeof cc, "%d.%d", d->cc_major, d->cc_minor);
        cJSON_AddStringToObject(j, "compute_capability", cc);
        cJSON_AddNumberToObject(j, "sm_count", d->sm_count);
        cJSON_AddNumberToObject(j, "max_threads_per_sm", d->max_threads_per_sm);
        cJSON_AddNumberToObject(j, "l2_bytes", (double)d->l2_bytes);
        cJSON_AddNumberToObject(j, "memory_bus_width_bits", d->bus_width_bits);
        cJSON_AddNumberToObject(j, "sm_clock_khz", d->sm_clock_khz);
        cJSON_AddNumberToObject(j, "memory_clock_khz", d->mem_clock_khz);
        cJSON_AddBoolToObject(j, "ecc", d->ecc);
        cJSON_AddNumberToObject(j, "driver_version", d->driver_version);
        cJSON_AddNumberToObject(j, "runtime_version", d->runtime_version);
        cJSON_AddStringToObject(j, "nvcc", d->nvcc);
    } else {
        cJSON_AddNumberToObject(j, "cores_online", d->cores_online);
        cJSON_AddNumberToObject(j, "threads_used", d->threads_used);
        cJSON_AddNumberToObject(j, "l1d_bytes", (double)d->l1d_bytes);
        cJSON_AddNumberToObject(j, "l2_bytes", (double)d->l2_cpu_bytes);
        cJSON_AddNumberToObject(j, "l3_bytes", (double)d->l3_bytes);
    }
    return j;
}
