/* The sweep's parts, private to the harness: configuration and presets (sweep_config.c), the states an
 * axis set expands to (sweep_states.c), the results file (sweep_json.c); the run is sweep.c. */
#ifndef SF_SWEEP_PRIVATE_H
#define SF_SWEEP_PRIVATE_H

#include <cjson/cJSON.h>

#include "device.h"
#include "measure.h"
#include "spikefuse_tuning.h"
#include "sweep.h"

/* One state of a sweep: a problem, its kernels and launch, or why it is not measured. */
typedef struct sweep_state {
    char id[320];
    char family[64], direction[16], form[32];
    char keep[16];  /* what forward keeps for backward: vtrace (y and v) or h (v; backward recomputes y) */
    char dtype[8];   /* storage type of the other tensors: f32, bf16 or f16 */
    char spikes[16]; /* storage type of the spikes y: f32 or u8 */
    const sf_kernel *fwd, *bwd;
    int64_t T, N, B, M;
    int block, block_bwd, vec, npt, unroll, chunk, prefetch, stage;
    char tuned[96]; /* fused-tuned: the lookup levels that answered */
    char skip[256]; /* non-empty: why this state is not measured */
} sweep_state;

/* Refuses a configuration no run can take. */
sf_status sweep_validate(const sf_sweep_config *c);
/* The axis of that name, or NULL where the sweep does not give it. */
const sf_axis *sweep_axis(const sf_sweep_config *c, const char *name);
/* Every state the axes expand to, in order (malloc'd; NULL without memory); those that cannot run say why. */
sweep_state *sweep_enumerate(const sf_sweep_config *c, const sf_tuning_db *db, int64_t *count, double mem_limit);

/* The results file's parts. */
cJSON *sweep_state_json(const sweep_state *s);
cJSON *sweep_summary_json(const sf_mode *m, int with_samples);
void sweep_add_metrics(cJSON *j, const sweep_state *s, const sf_measurement *m, double copy_bw);
/* A state whose kernels store a narrower type than fp32: what that costs (sf_storage_cost_of at its T,
 * on at most 2^21 neuron-steps), as "storage_cost"; nothing for fp32 storage, which costs nothing. */
void sweep_add_storage_cost(cJSON *j, const sweep_state *s, const sf_lif_params *p);
cJSON *sweep_new_root(const sf_sweep_config *c, const sf_device_info *dev, double copy_bw);
/* The JSON (atomically), CSV and Markdown outputs, speedups recomputed. */
sf_status sweep_write_all(cJSON *root, const sf_sweep_config *c);

#endif
