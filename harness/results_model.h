/* The results model: a sweep's results file (harness/SCHEMA.md) read once, at the edge, into typed structs,
 * so that the views (report, compare, check, reproduce's report, plot data) read fields the compiler
 * knows instead of string keys. And the one rule for "the state of family F for the same problem". */
#ifndef SF_RESULTS_MODEL_H
#define SF_RESULTS_MODEL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "spikefuse.h"

/* Numbers a file does not give (or gives as null, as cJSON writes NaN) read as NaN, strings as "": the
 * views print what is there and "-" or "nan" where it is not, as they did from the JSON. */

typedef enum sf_state_status { SF_STATE_OK = 0, SF_STATE_SKIPPED, SF_STATE_FAILED, SF_STATE_PROFILED } sf_state_status;
const char *sf_state_status_name(sf_state_status s);

typedef struct sf_result_device {
    const char *name, *backend, *key;
    double copy_bandwidth_Bps;
} sf_result_device;

typedef struct sf_result_meta {
    const char **argv;
    int argc;
    const char *git_commit, *date, *preset; /* preset: "" when none was used */
    int git_dirty;
} sf_result_meta;

typedef struct sf_result_settings {
    const char *reference_family, *surrogate; /* surrogate: settings.neuron.surrogate */
} sf_result_settings;

/* A timed mode's summary ("cold", "graph"): seconds. */
typedef struct sf_result_timing {
    double median_s, min_s, q1_s, q3_s, mean_s, stdev_s, samples_n, dropped;
    const double *samples_s; /* every sample, in order; NULL when the file has no "samples_s" */
    int64_t n_samples;
} sf_result_timing;

typedef struct sf_result_metrics {
    double bytes, time_per_step_s, paper_steps_per_s, GBps, pct_copy_bw, hot_pct_copy_bw, speedup;
    double bytes_per_neuron_step; /* peers' states (peers/run.py) */
} sf_result_metrics;

/* "storage_cost" (states of a narrower storage than fp32; NAN where absent): sf_storage_cost_of. */
typedef struct sf_result_storage_cost {
    double spike_flip_rate, grad_x_rel_err, grad_x_max_err;
} sf_result_storage_cost;

typedef struct sf_result_state {
    const char *id, *family, *direction, *form, *reason;
    /* fused's storage knobs (harness/SCHEMA.md): a file without them measured the paper's, keep "vtrace"
     * (fwd+bwd; "" forward), spikes "f32" and dtype "f32" */
    const char *keep, *spikes, *dtype;
    sf_state_status status;
    const char **kernels; /* forward, then backward where there is one */
    int n_kernels;
    double T, N, B, M, block_requested, block, grid;
    sf_result_timing cold, graph;
    double hot_per_trial_s;
    sf_result_metrics metrics;
    sf_result_storage_cost storage_cost;
    const char *peer_implementation; /* peers' states: "peer"."implementation"; NULL without a "peer" */
    int run; /* which run of a resumed file measured it: 0 the first (meta), k meta.resumes[k - 1] */
} sf_result_state;

typedef struct sf_results {
    sf_result_device device; /* devices[0]: the device that ran every state */
    sf_result_meta meta;
    sf_result_settings settings;
    sf_result_state *states; /* in the file's order */
    int n_states;
    void **owned; /* every allocation above, freed by sf_results_free */
    int n_owned, cap_owned;
} sf_results;

/* Reads a results file, checks its schema (sf_results_read) and every field the model holds: SF_ERR_IO
 * with a message naming the file, the state and the field when one has the wrong type. */
sf_status sf_results_load(const char *path, sf_results *out);
/* The same from a results tree already in memory (the sweep's own, as it writes); path names it in errors. */
sf_status sf_results_from_json(const cJSON *root, const char *path, sf_results *out);
void sf_results_free(sf_results *r);

/* The state with this id, whatever its status; NULL if there is none. */
const sf_result_state *sf_results_by_id(const sf_results *r, const char *id);

/* ---- "the same problem": one matcher ---------------------------------------------------------- */

/* What a state measures, apart from the code that measures it. */
typedef struct sf_problem {
    const char *direction;
    double T, N, B, block_requested; /* block_requested: 0 = the kernel's default */
} sf_problem;

/* How much of a problem must agree. Every number compares with ==, so a NaN (absent) never matches. */
typedef enum sf_match_rule {
    SF_MATCH_SHAPE,      /* direction, T, N and B: the same layer, whatever block it was launched with */
    SF_MATCH_LAUNCH,     /* SF_MATCH_SHAPE and the same requested block: the report's ratios, the speedups */
    SF_MATCH_DIRECTION_T /* direction and T only: reproduce's parts, each of which fixes N and B */
} sf_match_rule;

sf_problem sf_problem_of(const sf_result_state *s);
int sf_problem_matches(const sf_problem *a, const sf_problem *b, sf_match_rule rule);
/* The first measured (ok) state of `family` whose problem matches `p` under `rule`; NULL if none. */
const sf_result_state *sf_results_find(const sf_results *r, const char *family, const sf_problem *p,
                                       sf_match_rule rule);

/* How many times faster `s` ran than `base` (base's cold median over s's), a ratio only when both were
 * measured by one run: NaN when either is NULL or a resumed file's runs measured them apart, since a
 * speedup is a ratio measured in one run on one device. */
double sf_results_speedup(const sf_result_state *base, const sf_result_state *s);
/* Why sf_results_speedup gave NaN for two states that exist: "runs differ" (one string for every view). */
#define SF_RATIO_ACROSS_RUNS "runs differ"

/* The distinct values of T, N or B over the states, ascending (at most max): of every state, or of the
 * measured ones (ok_only). */
typedef enum sf_problem_axis { SF_AXIS_T, SF_AXIS_N, SF_AXIS_B } sf_problem_axis;
int sf_results_values(const sf_results *r, sf_problem_axis axis, int ok_only, double *out, int max);

/* The views of a results file (harness/results.c); path "-" is stdout. */
sf_status sf_results_write_csv(const sf_results *r, const char *path);
sf_status sf_results_write_md(const sf_results *r, const char *path);

#endif
