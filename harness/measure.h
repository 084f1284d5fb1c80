/* Measuring one state: its trial (every launch of one layer, over buffer sets rotated among), cold
 * samples under the stopping rule, hot throughput, and the copy bandwidth that % of peak refers to. */
#ifndef SF_MEASURE_H
#define SF_MEASURE_H

#include "device.h"
#include "spikefuse.h"
#include "stats.h"

#define SF_MAX_SETS 8

/* One trial = the forward kernel over all T steps, then the backward kernel if there is one. A trial
 * with no forward kernel is backward only, from saved tensors made by the float64 reference. */
typedef struct sf_trial {
    sf_backend be;
    const sf_kernel *fwd, *bwd; /* bwd NULL: forward only; fwd NULL: backward only */
    int64_t T, M;
    sf_lif_params p;
    sf_launch fwd_launch, bwd_launch; /* resolved (sf_plan) */
    int sets;
    sf_tensors t[SF_MAX_SETS];
    void *mem[SF_MAX_SETS][8];
    float *host_x, *host_gy;  /* set 0's inputs, for verification */
    float *host_y, *host_v;   /* backward only: the saved forward tensors */
} sf_trial;

/* Device bytes a trial of these kernels needs with `sets` buffer sets. */
double sf_trial_bytes(const sf_kernel *fwd, const sf_kernel *bwd, int64_t T, int64_t M, int sets);
/* The bytes a trial may take on a backend: 90 % of the GPU's memory, or 80 % of the host's (where the
 * trial's host copies live too). */
double sf_trial_memory_limit(sf_backend be, const sf_device_info *dev);
/* Sets to rotate among: enough that the sets together exceed twice the cache when one fits in it. */
int sf_trial_sets_for(const sf_kernel *fwd, const sf_kernel *bwd, int64_t T, int64_t M, int64_t cache_bytes);
/* block_fwd, block_bwd: threads per block of each pass (0 = the kernel's default). */
sf_status sf_trial_create(sf_trial *tr, sf_backend be, const sf_kernel *fwd, const sf_kernel *bwd, int64_t T,
                          int64_t M, const sf_lif_params *p, int block_fwd, int block_bwd, int sets, uint64_t seed);
/* Enqueues one whole trial on buffer set `set` (asynchronous on CUDA; launch.stream as given). */
sf_status sf_trial_run(sf_trial *tr, int set, void *stream);
/* Runs set 0 once and checks its outputs against the float64 reference. */
sf_status sf_trial_verify(sf_trial *tr, sf_tolerance tol, sf_check_report *fwd, sf_check_report *bwd);
void sf_trial_destroy(sf_trial *tr);
int64_t sf_trial_launches(const sf_trial *tr);

typedef struct sf_measure_config {
    sf_stop_rule rule;
    int warmup;      /* untimed trials first (>= 1) */
    int hot;         /* also measure back-to-back throughput */
    double hot_time; /* seconds of hot trials */
    int profile;     /* run once, untimed, for a profiler */
    double min_clock_fraction; /* GPU: drop samples whose SM clock is below this x the default clock */
} sf_measure_config;

sf_measure_config sf_measure_config_default(void);

/* The samples of one timing mode. */
typedef struct sf_mode {
    int present;
    double *samples; /* seconds per trial, kept samples only */
    int64_t n, cap;
    int64_t dropped;  /* GPU: throttled samples (SM clock below the threshold) */
    double *clock_ghz; /* GPU: SM clock right after each kept sample; NULL on the CPU */
    sf_stop_reason stop;
    sf_summary summary;
} sf_mode;

typedef struct sf_measurement {
    sf_mode cold;  /* plain launches, cold (caches flushed) */
    sf_mode graph; /* CUDA, multi-launch trials: the same launches as one CUDA graph, cold */
    int spin;      /* CUDA: the stream was held by a spin kernel while the cold plain launches queued */
    double hot_per_trial; /* seconds per trial back to back, no flush; 0 if not measured */
    int64_t hot_trials;
    int threads; /* CPU: OpenMP threads used */
} sf_measurement;

void sf_measurement_free(sf_measurement *m);
void sf_mode_add(sf_mode *m, double sample, double clock_ghz, int with_clock);

/* Backends: measure_cpu.c, measure_cuda.cu. `name` labels profiler ranges. */
sf_status sf_measure_cpu(sf_trial *tr, const sf_device_info *dev, const sf_measure_config *c, const char *name,
                         sf_measurement *out);
sf_status sf_measure_cuda(sf_trial *tr, const sf_device_info *dev, const sf_measure_config *c, const char *name,
                          sf_measurement *out);
sf_status sf_measure(sf_trial *tr, const sf_device_info *dev, const sf_measure_config *c, const char *name,
                     sf_measurement *out);

/* Copy bandwidth in bytes/s (read + write counted), the median of repeated large copies: memcpy on the
 * CPU, device-to-device cudaMemcpy on a GPU. */
sf_status sf_copy_bandwidth(sf_backend be, const sf_device_info *dev, double *bytes_per_s);
sf_status sf_copy_bandwidth_cuda(double *bytes_per_s);

/* Monotonic seconds. */
double sf_now(void);

#endif
