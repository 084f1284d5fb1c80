/* Timing on a GPU, nvbench's way (../shared/anchors.md):
 *   cold sample: flush L2 (memset of an L2-sized buffer), hold the stream with a spin kernel while the
 *   trial's launches queue (only when there are few of them: a long queue behind a blocked stream would
 *   stall the host), time the interval with CUDA events, then read the SM clock with a short kernel and
 *   drop the sample if the GPU was throttled;
 *   multi-launch trials also as one CUDA graph (one launch, always behind the spin kernel);
 *   hot: back-to-back trials, no flush. */
#include <cuda_runtime.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "spikefuse_core.h"
#include "measure.h"
#include "multigpu.h"
#include "nvtx.h"
}

/* Launches that may queue behind the spin kernel (nvbench: about 32). */
#define SF_MAX_QUEUED_LAUNCHES 32

static __device__ __forceinline__ unsigned long long global_ns()
{
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

/* Holds the stream until the host sets *release (or a second passes: never a hang). */
static __global__ void spin_kernel(volatile int *release)
{
    const unsigned long long t0 = global_ns();
    while (*release == 0 && global_ns() - t0 < 1000000000ull) {
    }
}

/* SM clock over ~20 us on one SM: cycles and nanoseconds, from the same thread. */
static __global__ void clock_kernel(unsigned long long *out)
{
    const unsigned long long t0 = global_ns();
    const long long c0 = clock64();
    unsigned long long t1;
    do
        t1 = global_ns();
    while (t1 - t0 < 20000ull);
    const long long c1 = clock64();
    out[0] = (unsigned long long)(c1 - c0);
    out[1] = t1 - t0;
}

#define CK(call)                                                                   \
    do {                                                                           \
        const cudaError_t e_ = (call);                                             \
        if (e_ != cudaSuccess) {                                                   \
            s = sf_cuda_fail((int)e_, #call);                                      \
            goto done;                                                             \
        }                                                                          \
    } while (0)

typedef struct timing {
    cudaStream_t stream;
    cudaEvent_t start, stop;
    void *flush;
    size_t flush_bytes;
    volatile int *release;       /* host-mapped */
    int *release_dev;
    unsigned long long *clk;     /* host-mapped [2] */
    unsigned long long *clk_dev;
    double default_ghz;
} timing;

/* One cold sample of `run` (plain trial launches, or a graph). Returns the seconds in *dt and the SM
 * clock in *ghz. */
typedef sf_status (*enqueue_fn)(sf_trial *tr, int set, cudaStream_t s, cudaGraphExec_t *graphs);

static sf_status enqueue_plain(sf_trial *tr, int set, cudaStream_t st, cudaGraphExec_t *graphs)
{
    (void)graphs;
    return sf_trial_run(tr, set, (void *)st);
}

static sf_status enqueue_graph(sf_trial *tr, int set, cudaStream_t st, cudaGraphExec_t *graphs)
{
    const cudaError_t e = cudaGraphLaunch(graphs[set % tr->sets], st);
    return e == cudaSuccess ? SF_OK : sf_cuda_fail((int)e, "cudaGraphLaunch");
}

static sf_status cold_sample(timing *tm, sf_trial *tr, int set, int spin, enqueue_fn enq, cudaGraphExec_t *graphs,
                             double *dt, double *ghz)
{
    sf_status s = SF_OK;
    float ms = 0;
    SF_RANGE_PUSH("flush");
    CK(cudaMemsetAsync(tm->flush, set & 0xff, tm->flush_bytes, tm->stream));
    SF_RANGE_POP();
    *tm->release = 0;
    if (spin) {
        spin_kernel<<<1, 1, 0, tm->stream>>>(tm->release_dev);
        CK(cudaGetLastError());
    }
    SF_RANGE_PUSH("timed");
    CK(cudaEventRecord(tm->start, tm->stream));
    s = enq(tr, set, tm->stream, graphs);
    if (s != SF_OK)
        goto done;
    CK(cudaEventRecord(tm->stop, tm->stream));
    clock_kernel<<<1, 1, 0, tm->stream>>>(tm->clk_dev);
    CK(cudaGetLastError());
    __sync_synchronize();
    *tm->release = 1;
    CK(cudaStreamSynchronize(tm->stream));
    SF_RANGE_POP();
    CK(cudaEventElapsedTime(&ms, tm->start, tm->stop));
    *dt = 1e-3 * (double)ms;
    *ghz = tm->clk[1] ? (double)tm->clk[0] / (double)tm->clk[1] : 0.0;
done:
    return s;
}

static sf_status measure_mode(timing *tm, sf_trial *tr, const sf_measure_config *c, int spin, enqueue_fn enq,
                              cudaGraphExec_t *graphs, sf_mode *m)
{
    sf_stopper stop;
    sf_stopper_init(&stop, &c->rule);
    m->present = 1;
    sf_status s = SF_OK;
    const double t_start = sf_now();
    for (int64_t i = 0; s == SF_OK; ++i) {
        double dt = 0, ghz = 0;
        s = cold_sample(tm, tr, (int)i, spin, enq, graphs, &dt, &ghz);
        if (s != SF_OK)
            break;
        if (ghz < c->min_clock_fraction * tm->default_ghz) {
            m->dropped++;
            if (sf_now() - t_start > c->rule.timeout) {
                m->stop = SF_STOP_TIMEOUT;
                break;
            }
            continue;
        }
        sf_mode_add(m, dt, ghz, 1);
        m->stop = sf_stopper_add(&stop, dt, sf_now() - t_start);
        if (m->stop != SF_STOP_CONTINUE)
            break;
    }
    if (s == SF_OK)
        m->summary = sf_summarize(m->samples, m->n);
    return s;
}

/* The timing resources: events, the L2 flush buffer, and the host-mapped spin release and clock words. */
static sf_status timing_open(timing *tm, const sf_device_info *dev)
{
    sf_status s = SF_OK;
    CK(cudaEventCreate(&tm->start));
    CK(cudaEventCreate(&tm->stop));
    tm->flush_bytes = (size_t)(dev->l2_bytes > 0 ? dev->l2_bytes : (64 << 20));
    CK(cudaMalloc(&tm->flush, tm->flush_bytes));
    CK(cudaHostAlloc((void **)&tm->release, sizeof(int), cudaHostAllocMapped));
    CK(cudaHostGetDevicePointer((void **)&tm->release_dev, (void *)tm->release, 0));
    CK(cudaHostAlloc((void **)&tm->clk, 2 * sizeof(unsigned long long), cudaHostAllocMapped));
    CK(cudaHostGetDevicePointer((void **)&tm->clk_dev, tm->clk, 0));
    tm->default_ghz = dev->sm_clock_khz / 1e6;
done:
    return s;
}

static void timing_close(timing *tm)
{
    if (tm->release)
        cudaFreeHost((void *)tm->release);
    if (tm->clk)
        cudaFreeHost(tm->clk);
    cudaFree(tm->flush);
    if (tm->start)
        cudaEventDestroy(tm->start);
    if (tm->stop)
        cudaEventDestroy(tm->stop);
    if (tm->stream)
        cudaStreamDestroy(tm->stream);
}

/* Each buffer set's launches captured into one CUDA graph, then cold samples of the graphs: what the
 * trial costs without the host's launch gaps. */
static sf_status measure_graphs(timing *tm, sf_trial *tr, const sf_measure_config *c, sf_mode *out)
{
    sf_status s = SF_OK;
    cudaGraphExec_t graphs[SF_MAX_SETS] = {0};
    cudaGraph_t graph = NULL;
    for (int k = 0; k < tr->sets; ++k) {
        CK(cudaStreamBeginCapture(tm->stream, cudaStreamCaptureModeThreadLocal));
        s = sf_trial_run(tr, k, (void *)tm->stream);
        const cudaError_t e = cudaStreamEndCapture(tm->stream, &graph);
        if (s != SF_OK)
            goto done;
        CK(e);
        CK(cudaGraphInstantiate(&graphs[k], graph, 0));
        CK(cudaGraphDestroy(graph));
        graph = NULL;
    }
    SF_RANGE_PUSH("graph");
    s = measure_mode(tm, tr, c, 1, enqueue_graph, graphs, out);
    SF_RANGE_POP();
done:
    if (graph)
        cudaGraphDestroy(graph);
    for (int k = 0; k < SF_MAX_SETS; ++k)
        if (graphs[k])
            cudaGraphExecDestroy(graphs[k]);
    return s;
}

/* Hot: back-to-back trials, batches of them between two events (doubling while a batch takes under
 * 50 us) until hot_time of GPU time; the mean per trial. */
static sf_status measure_hot(timing *tm, sf_trial *tr, const sf_measure_config *c, sf_measurement *out)
{
    sf_status s = SF_OK;
    float ms = 0;
    double total = 0;
    int64_t n = 0, batch = 1;
    SF_RANGE_PUSH("hot");
    while (total < c->hot_time && s == SF_OK) {
        CK(cudaEventRecord(tm->start, tm->stream));
        for (int64_t i = 0; i < batch && s == SF_OK; ++i)
            s = sf_trial_run(tr, (int)(n + i), (void *)tm->stream);
        if (s != SF_OK)
            break;
        CK(cudaEventRecord(tm->stop, tm->stream));
        CK(cudaEventSynchronize(tm->stop));
        CK(cudaEventElapsedTime(&ms, tm->start, tm->stop));
        total += 1e-3 * ms;
        n += batch;
        if (batch < 1024 && 1e-3 * ms < 0.05)
            batch *= 2;
    }
    if (s == SF_OK) {
        out->hot_per_trial = total / (double)n;
        out->hot_trials = n;
    }
done:
    SF_RANGE_POP();
    return s;
}

extern "C" sf_status sf_measure_cuda(sf_trial *tr, const sf_device_info *dev, const sf_measure_config *c,
                                     const char *name, sf_measurement *out)
{
    sf_status s = SF_OK;
    timing tm;
    memset(&tm, 0, sizeof tm);
    const int64_t launches = sf_trial_launches(tr);
    SF_RANGE_PUSH(name);
    CK(cudaStreamCreateWithFlags(&tm.stream, cudaStreamNonBlocking));
    if (c->profile) {
        s = sf_trial_run(tr, 0, (void *)tm.stream);
        if (s == SF_OK)
            CK(cudaStreamSynchronize(tm.stream));
        goto done;
    }
    if ((s = timing_open(&tm, dev)) != SF_OK)
        goto done;

    SF_RANGE_PUSH("warm-up");
    for (int i = 0; i < c->warmup && s == SF_OK; ++i)
        s = sf_trial_run(tr, i, (void *)tm.stream);
    if (s == SF_OK)
        CK(cudaStreamSynchronize(tm.stream));
    SF_RANGE_POP();
    if (s != SF_OK)
        goto done;

    out->spin = launches <= SF_MAX_QUEUED_LAUNCHES;
    s = measure_mode(&tm, tr, c, out->spin, enqueue_plain, NULL, &out->cold);
    if (s == SF_OK && launches > 1)
        s = measure_graphs(&tm, tr, c, &out->graph);
    if (s == SF_OK && c->hot)
        s = measure_hot(&tm, tr, c, out);
done:
    SF_RANGE_POP();
    timing_close(&tm);
    return s;
}

extern "C" sf_status sf_copy_bandwidth_cuda(double *bytes_per_s)
{
    sf_status s = SF_OK;
    const size_t bytes = (size_t)1 << 30;
    void *a = NULL, *b = NULL;
    cudaEvent_t e0 = NULL, e1 = NULL;
    enum { REPS = 20 };
    double t[REPS];
    CK(cudaMalloc(&a, bytes));
    CK(cudaMalloc(&b, bytes));
    CK(cudaMemset(a, 1, bytes));
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    CK(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice)); /* warm-up */
    for (int r = 0; r < REPS; ++r) {
        float ms = 0;
        CK(cudaEventRecord(e0));
        CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
        CK(cudaEventRecord(e1));
        CK(cudaEventSynchronize(e1));
        CK(cudaEventElapsedTime(&ms, e0, e1));
        t[r] = 1e-3 * ms;
    }
    {
        const sf_summary sum = sf_summarize(t, REPS);
        *bytes_per_s = 2.0 * (double)bytes / sum.median;
    }
done:
    cudaFree(a), cudaFree(b);
    if (e0)
        cudaEventDestroy(e0);
    if (e1)
        cudaEventDestroy(e1);
    return s;
}

/* T_c of the multi-GPU model: one hand-off of the boundary state, device 0 to device 1 when there are two
 * (peer access enabled where the pair allows it), else between two buffers on the one device. */
extern "C" sf_status sf_handoff_cuda(size_t bytes, int samples, double *seconds, int *peer)
{
    sf_status s = SF_OK;
    int n = 0, can = 0;
    void *a = NULL, *b = NULL;
    cudaEvent_t e0 = NULL, e1 = NULL;
    double *t = (double *)malloc((size_t)samples * sizeof *t);
    *peer = 0;
    if (!t)
        return sf_fail(SF_ERR_NOMEM, "no memory");
    CK(cudaGetDeviceCount(&n));
    if (n >= 2) {
        CK(cudaDeviceCanAccessPeer(&can, 0, 1));
        CK(cudaSetDevice(1));
        CK(cudaMalloc(&b, bytes));
        if (can) {
            const cudaError_t e = cudaDeviceEnablePeerAccess(0, 0);
            if (e != cudaSuccess && e != cudaErrorPeerAccessAlreadyEnabled)
                CK(e);
            (void)cudaGetLastError();
        }
        CK(cudaSetDevice(0));
        *peer = 1;
    } else {
        CK(cudaMalloc(&b, bytes));
    }
    CK(cudaMalloc(&a, bytes));
    CK(cudaMemset(a, 1, bytes));
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    for (int i = -1; i < samples; ++i) { /* i = -1: warm-up */
        float ms = 0;
        CK(cudaEventRecord(e0));
        if (*peer)
            CK(cudaMemcpyPeerAsync(b, 1, a, 0, bytes));
        else
            CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
        CK(cudaEventRecord(e1));
        CK(cudaEventSynchronize(e1));
        CK(cudaEventElapsedTime(&ms, e0, e1));
        if (i >= 0)
            t[i] = 1e-3 * ms;
    }
    *seconds = sf_summarize(t, samples).median;
done:
    free(t);
    cudaFree(a);
    if (b) {
        if (*peer)
            cudaSetDevice(1);
        cudaFree(b);
        cudaSetDevice(0);
    }
    if (e0)
        cudaEventDestroy(e0);
    if (e1)
        cudaEventDestroy(e1);
    return s;
}
