/* The tuner (tuning/), for the CLI. The database it writes is lookup/ (db.h, and the public lookup API
 * spikefuse_tuning.h). */
#ifndef SF_TUNING_H
#define SF_TUNING_H

#include <cjson/cJSON.h>

#include "axes.h"
#include "device.h"
#include "measure.h"
#include "db.h"
#include "spikefuse_tuning.h"


typedef enum sf_tune_strategy { SF_TUNE_EXHAUSTIVE, SF_TUNE_RANDOM, SF_TUNE_MODEL } sf_tune_strategy;

/* One point of the search space. */
typedef struct sf_candidate {
    const sf_kernel *kernel;
    int block, threads; /* threads: CPU OpenMP threads (0 on CUDA) */
    double predicted_s; /* the model's time */
    double rank_s;      /* what the model strategy ranks by: predicted_s; infinite once its kernel measured slow */
} sf_candidate;

typedef struct sf_tune_config {
    sf_backend backend;
    const char *family, *form;
    sf_direction direction;
    sf_axis *T, *N, *B, *block, *threads; /* NULL: defaults (blocks and threads per backend) */
    sf_axis *vec, *npt, *unroll, *chunk, *prefetch, *stage; /* NULL: every registered kernel; else only
                                             these knob values (chunk: steps per checkpoint, forms ckpt and
                                             grad_ckpt; prefetch: steps loaded ahead; stage: steps of x a
                                             block stages in shared memory) */
    sf_axis *dtype;                       /* storages of the other tensors, each searched into its own entry;
                                             NULL: f32 */
    sf_axis *spikes;                      /* spike storages, likewise; NULL: the dtype's (sf_spikes_default) */
    sf_tune_strategy strategy;
    int budget; /* random: evaluations; model: candidates measured (0 = a quarter of the space) */
    uint64_t seed;
    const char *db_path, *cache_path, *replay_path; /* replay: answer from this cache, no device */
    sf_measure_config measure;
    sf_lif_params params;
    int quiet;
} sf_tune_config;

void sf_tune_config_init(sf_tune_config *c);
sf_status sf_tune_run(const sf_tune_config *c);
const char *sf_tune_strategy_name(sf_tune_strategy s);
sf_status sf_tune_strategy_parse(const char *name, sf_tune_strategy *out);

/* The analytic model (model.c): a candidate's time from bytes over bandwidth, occupancy and bytes in
 * flight, waves, and launch overhead. */
typedef struct sf_model_device {
    sf_backend backend;
    double copy_bw;        /* bytes/s */
    int sm_count, max_threads_per_sm;
    double latency_s;      /* DRAM latency the bytes in flight must cover */
    double launch_s;       /* per kernel launch */
    int64_t cache_bytes;   /* CPU: per-core L2 */
} sf_model_device;

/* blocks_per_sm: the occupancy API's answer for (kernel, block); 1 on the CPU. */
double sf_model_time(const sf_model_device *d, const sf_kernel *k, int block, int threads, int blocks_per_sm,
                     int64_t T, int64_t M);

#endif
