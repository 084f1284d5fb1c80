/* The tuner's analytic model. Every fused and unfused LIF kernel is memory bound, so its time is the
 * bytes it moves over the bandwidth it can reach, plus launch overhead:
 *   GPU: the reachable bandwidth falls when too few bytes are in flight to cover DRAM latency (Little's
 *        law: resident threads, from the occupancy API, x bytes each thread loads per time step) and
 *        when the last wave of blocks leaves SMs idle;
 *   CPU: at each time step a block touches, in every array, npt stretches of block x vec contiguous
 *        elements (the fused kernels run the time loop outside the block's threads; the others see
 *        one row a launch): the prefetchers need a few KiB of a stretch to ramp up, a thread's group
 *        should fill whole 64-byte lines, and a fused block's registers (membrane and spike per neuron)
 *        must stay in a core's L2 from one step to the next. */
#include <math.h>

#include "tuning.h"

double sf_model_time(const sf_model_device *d, const sf_kernel *k, int block, int threads, int blocks_per_sm,
                     int64_t T, int64_t M)
{
    const double bytes = sf_kernel_bytes(k, T, M);
    const double launches = (double)sf_kernel_launches(k, T);
    const double per_thread = (double)k->vec * k->npt;
    const double grid = ceil((double)M / (block * per_thread));
    double efficiency;
    if (d->backend == SF_BACKEND_CUDA) {
        const double resident_blocks = (double)d->sm_count * (blocks_per_sm > 0 ? blocks_per_sm : 0);
        if (resident_blocks <= 0)
            return INFINITY; /* does not launch */
        const double active_threads = fmin(grid, resident_blocks) * block;
        const double in_flight = active_threads * per_thread * k->reads_per_step * k->elem_bytes *
                                 (k->launches_per_step == 0 ? fmin(k->unroll, 2) : 1);
        const double needed = d->copy_bw * d->latency_s;
        const double waves = grid / resident_blocks, tail = waves / ceil(waves);
        efficiency = fmin(1.0, in_flight / needed) * tail;
    } else {
        const double stretch = block * k->vec * k->elem_bytes;
        const double ramp = stretch / (stretch + 2048.0);
        const double registers = k->launches_per_step == 0 ? block * per_thread * 2.0 * sizeof(float) : 0.0;
        const double reuse = registers <= (double)d->cache_bytes ? 1.0 : (double)d->cache_bytes / registers;
        const double line_use = fmin(1.0, k->vec * k->elem_bytes / 64.0) * 0.5 + 0.5;
        const double parallel = fmin(1.0, grid / (threads > 0 ? threads : 1));
        efficiency = fmax(0.05, reuse) * ramp * line_use * parallel;
    }
    return bytes / (d->copy_bw * fmax(efficiency, 1e-3)) + launches * d->launch_s;
}
