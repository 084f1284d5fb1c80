/* The generated registry's row type: a kernel's description and its entry points per backend. */
#ifndef SF_REGISTRY_INTERNAL_H
#define SF_REGISTRY_INTERNAL_H

#include "spikefuse.h"

typedef sf_status (*sf_plan_fn)(int64_t M, const sf_launch *in, sf_launch *out);
/* run takes a launch that plan completed (block, grid); sf_run plans before it runs. */
typedef sf_status (*sf_run_fn)(const sf_tensors *t, const sf_lif_params *p, const sf_launch *planned);
typedef sf_status (*sf_occupancy_fn)(int block, int *blocks_per_sm);
typedef sf_status (*sf_max_block_fn)(int *max_block);

typedef struct sf_kernel_entry {
    sf_kernel info; /* first, so that a sf_kernel* from the registry is its entry's address */
    sf_plan_fn plan[SF_BACKEND_COUNT];
    sf_run_fn run[SF_BACKEND_COUNT];
    sf_occupancy_fn occupancy[SF_BACKEND_COUNT];
    sf_max_block_fn max_block[SF_BACKEND_COUNT];
} sf_kernel_entry;

#define SF_DECLARE_BACKEND(name, backend)                                                      \
    sf_status sf_##name##_plan_##backend(int64_t M, const sf_launch *in, sf_launch *out);     \
    sf_status sf_##name##_run_##backend(const sf_tensors *t, const sf_lif_params *p,          \
                                        const sf_launch *planned);                            \
    sf_status sf_##name##_occupancy_##backend(int block, int *blocks_per_sm);                 \
    sf_status sf_##name##_max_block_##backend(int *max_block);

#ifdef SF_HAVE_CUDA
#define SF_DECLARE(name) SF_DECLARE_BACKEND(name, cpu) SF_DECLARE_BACKEND(name, cuda)
#define SF_ENTRY_FNS(name)                                                                     \
    {sf_##name##_plan_cpu, sf_##name##_plan_cuda}, {sf_##name##_run_cpu, sf_##name##_run_cuda},       \
    {sf_##name##_occupancy_cpu, sf_##name##_occupancy_cuda}, { sf_##name##_max_block_cpu, sf_##name##_max_block_cuda }
#else
#define SF_DECLARE(name) SF_DECLARE_BACKEND(name, cpu)
#define SF_ENTRY_FNS(name)                                                                     \
    {sf_##name##_plan_cpu, NULL}, {sf_##name##_run_cpu, NULL}, {sf_##name##_occupancy_cpu, NULL},      \
    { sf_##name##_max_block_cpu, NULL }
#endif

extern const sf_kernel_entry sf_registry[];
extern const int sf_registry_count;

#endif
