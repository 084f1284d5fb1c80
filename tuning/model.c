/* The tuner's analytic model. Every fused and unfused LIF kernel is memory bound, so its time is the
 * bytes it moves over the bandwidth it can reach, plus launch overhead:
 *   GPU: blocks run in waves of what the SMs hold at once (the occupancy API's blocks per SM x SMs).
 *        A thread loads a step's inputs and waits one DRAM round trip before it can go on (two steps'
 *        loads at unroll >= 2, the fused kernels' pipeline; 1 + prefetch steps' with a prefetch queue;
 *        a tile's, stage steps, where the block stages x in shared memory, the next tile landing while
 *        it computes one; a chunk's, whose loads do not wait on each other, in a backward that replays
 *        chunks), so a
 *        wave takes its bytes over the copy
 *        bandwidth plus one latency per round trip: a neuron's bytes over the bytes its thread has
 *        loading at once (Little's law in round-trip form). A kernel whose grid needs more waves, or
 *        that loads less per round trip, waits more; a short last wave waits as long as a full one.
 *        Equal predictions are ordered by the tuner (tune.c). The latency is a stated 700 ns
 *        (tune.c), a DRAM load-to-use figure, not fitted: the model strategy's results on the recorded
 *        caches are the same for any latency from 400 to 1500 ns (results/tuner-model);
 *   CPU: at each time step a block touches, in every array, npt stretches of block x vec contiguous
 *        elements (the fused kernels run the time loop outside the block's threads; the others see
 *        one row a launch): the prefetchers need a few KiB of a stretch to ramp up, a thread's group
 *        should fill whole 64-byte lines, and a fused block's registers (membrane and spike per neuron)
 *        must stay in a core's L2 from one step to the next. */
#include <math.h>

#include "tuning.h"

static double gpu_time(const sf_model_device *d, const sf_kernel *k, double grid, int blocks_per_sm, int64_t T,
                       double bytes, double launches)
{
    const double resident_blocks = (double)d->sm_count * (blocks_per_sm > 0 ? blocks_per_sm : 0);
    if (resident_blocks <= 0)
        return INFINITY; /* does not launch */
    const double waves = ceil(grid / resident_blocks);
    /* per neuron: the bytes it moves over the bytes its thread has loading at once (one step's loads,
     * two steps' in a fused kernel unrolled at least twice, more with a prefetch queue, a staged tile
     * or a replayed chunk), i.e. the round trips it waits */
    double read, written;
    sf_kernel_step_bytes(k, &read, &written);
    double steps_in_flight = 1;
    if (k->launches_per_step == 0)
        steps_in_flight = fmax(fmax(fmax(fmin(k->unroll, 2), 1 + k->prefetch), k->stage),
                               k->direction == SF_BWD ? k->chunk : 0);
    const double loads_in_flight = read * steps_in_flight;
    const double round_trips = sf_kernel_bytes(k, T, 1) / loads_in_flight;
    return bytes / d->copy_bw + waves * round_trips * d->latency_s + launches * d->launch_s;
}

double sf_model_time(const sf_model_device *d, const sf_kernel *k, int block, int threads, int blocks_per_sm,
                     int64_t T, int64_t M)
{
    const double bytes = sf_kernel_bytes(k, T, M);
    const double launches = (double)sf_kernel_launches(k, T);
    const double per_thread = (double)k->vec * k->npt;
    const double grid = ceil((double)M / (block * per_thread));
    if (d->backend == SF_BACKEND_CUDA)
        return gpu_time(d, k, grid, blocks_per_sm, T, bytes, launches);
    const double stretch = block * k->vec * k->elem_bytes;
    const double ramp = stretch / (stretch + 2048.0);
    const double registers = k->launches_per_step == 0 ? block * per_thread * 2.0 * sizeof(float) : 0.0;
    const double reuse = registers <= (double)d->cache_bytes ? 1.0 : (double)d->cache_bytes / registers;
    const double line_use = fmin(1.0, k->vec * k->elem_bytes / 64.0) * 0.5 + 0.5;
    const double parallel = fmin(1.0, grid / (threads > 0 ? threads : 1));
    const double efficiency = fmax(0.05, reuse) * ramp * line_use * parallel;
    return bytes / (d->copy_bw * fmax(efficiency, 1e-3)) + launches * d->launch_s;
}
