/* Timing on the CPU backend, with the rules used on a GPU: warm-up, cold samples (caches flushed by
 * touching a buffer larger than the last-level cache), the stopping rule, hot throughput. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "spikefuse_core.h"
#include "measure.h"
#include "nvtx.h"

/* Reads and writes every line of the buffer, on all threads, so that no kernel data stays cached. */
static void flush_caches(unsigned char *buf, size_t bytes, int threads)
{
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < bytes; i += 64)
        buf[i] = (unsigned char)(buf[i] + 1);
}

sf_status sf_measure_cpu(sf_trial *tr, const sf_device_info *dev, const sf_measure_config *c, const char *name,
                         sf_measurement *out)
{
    const int threads = tr->fwd_launch.cpu_threads > 0 ? tr->fwd_launch.cpu_threads : omp_get_max_threads();
    out->threads = threads;
    SF_RANGE_PUSH(name);
    if (c->profile) {
        sf_status s = sf_trial_run(tr, 0, NULL);
        SF_RANGE_POP();
        return s;
    }
    const size_t flush_bytes = (size_t)(2 * sf_device_flush_bytes(dev));
    unsigned char *flush = NULL;
    sf_status s = sf_alloc(SF_BACKEND_CPU, flush_bytes, (void **)&flush);
    if (s != SF_OK) {
        SF_RANGE_POP();
        return s;
    }
    memset(flush, 0, flush_bytes);

    SF_RANGE_PUSH("warm-up");
    for (int i = 0; i < c->warmup && s == SF_OK; ++i)
        s = sf_trial_run(tr, i, NULL);
    SF_RANGE_POP();

    sf_stopper stop;
    sf_stopper_init(&stop, &c->rule);
    out->cold.present = 1;
    const double start = sf_now();
    for (int64_t i = 0; s == SF_OK; ++i) {
        SF_RANGE_PUSH("flush");
        flush_caches(flush, flush_bytes, threads);
        SF_RANGE_POP();
        SF_RANGE_PUSH("timed");
        const double t0 = sf_now();
        s = sf_trial_run(tr, (int)i, NULL);
        const double dt = sf_now() - t0;
        SF_RANGE_POP();
        if (s != SF_OK)
            break;
        sf_mode_add(&out->cold, dt, 0.0, 0);
        out->cold.stop = sf_stopper_add(&stop, dt, sf_now() - start);
        if (out->cold.stop != SF_STOP_CONTINUE)
            break;
    }
    sf_free(SF_BACKEND_CPU, flush);
    if (s == SF_OK)
        out->cold.summary = sf_summarize(out->cold.samples, out->cold.n);

    if (s == SF_OK && c->hot) {
        SF_RANGE_PUSH("hot");
        const double t0 = sf_now();
        int64_t n = 0;
        do
            s = sf_trial_run(tr, (int)n++, NULL);
        while (s == SF_OK && sf_now() - t0 < c->hot_time);
        out->hot_per_trial = (sf_now() - t0) / (double)n;
        out->hot_trials = n;
        SF_RANGE_POP();
    }
    SF_RANGE_POP();
    return s;
}
