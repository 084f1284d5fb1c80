/* Host-side launch planning shared by every template: block from the launch, the table or the
 * backend's heuristic; grid to cover M; whether the vector path is safe for a launch. */
#ifndef SF_LAUNCH_H
#define SF_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "spikefuse.h"

#define SF_CUDA_MAX_BLOCK 1024
#define SF_CPU_MAX_BLOCK 65536 /* a CPU block is a loop over threads: a bound for sanity only */

/* Takes the launch's block, else the table's; 0 means "ask the backend". */
static inline sf_launch sf_plan_begin(const sf_launch *in, int table_block)
{
    sf_launch r = {0, 0, 0, 0};
    if (in)
        r = *in;
    if (r.block == 0)
        r.block = table_block;
    return r;
}

#ifdef __cplusplus
extern "C"
#endif
sf_status sf_plan_finish(sf_launch *r, sf_backend b, int64_t M, int neurons_per_thread, sf_launch *out);
/* The error of a block that is not a multiple of what the kernel's spike storage needs (SF_ERR_INVALID). */
#ifdef __cplusplus
extern "C"
#endif
sf_status sf_plan_not_multiple(int block, int multiple);
/* The error of a requested block above what the kernel set can launch with (SF_ERR_INVALID). */
#ifdef __cplusplus
extern "C"
#endif
sf_status sf_plan_over_limit(int block, int max_block, sf_backend b);

/* The vector path needs every row of every tensor aligned to the vector: M a multiple of vec and each
 * base pointer aligned to vec elements. */
static inline int sf_vec_ok(int64_t M, int vec, int elem_bytes, const void *const *ptrs, int n)
{
    if (vec <= 1 || M % vec != 0)
        return 0;
    for (int i = 0; i < n; ++i)
        if (ptrs[i] && (uintptr_t)ptrs[i] % ((uintptr_t)vec * (uintptr_t)elem_bytes) != 0)
            return 0;
    return 1;
}

/* Byte distance between the [M] scratch vectors of a workspace: rounded up so that each vector keeps
 * the workspace's alignment. */
static inline size_t sf_workspace_stride(int64_t M, int elem_bytes)
{
    return ((size_t)M * (size_t)elem_bytes + 255u) & ~(size_t)255u;
}

/* Scratch vector i ([M] elements) of a launch's workspace. */
static inline void *sf_workspace_vector(const sf_tensors *t, int i, int elem_bytes)
{
    return (char *)t->workspace + (size_t)i * sf_workspace_stride(t->M, elem_bytes);
}
#endif
