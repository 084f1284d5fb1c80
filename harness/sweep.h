/* spikefuse sweep: the cartesian product of the axes, each state measured once, results as JSON
 * (schema in harness/SCHEMA.md), resumable from its own output file. */
#ifndef SF_SWEEP_H
#define SF_SWEEP_H

#include <cjson/cJSON.h>

#include <stdio.h>

#include "axes.h"
#include "files.h"
#include "measure.h"
#include "results_model.h"

#define SF_SWEEP_SCHEMA "spikefuse.sweep"
#define SF_SWEEP_SCHEMA_VERSION 1
#define SF_SWEEP_MAX_AXES 16
/* The pseudo-family whose fused kernels and blocks a tuning database chooses per state. */
#define SF_TUNED_FAMILY "fused-tuned"

typedef struct sf_sweep_config {
    sf_backend backend;
    sf_axis axes[SF_SWEEP_MAX_AXES];
    int n_axes;
    const char *out_json, *out_csv, *out_md; /* out_json required */
    const char *preset;                      /* name, for the record */
    const char *tuning_db;                   /* family "fused-tuned": configs looked up here (NULL: fallbacks) */
    const char *reference_family;            /* speedups are over this family; default "eager" */
    sf_lif_params params;
    sf_measure_config measure;
    int verify; /* check each state against the float64 reference before timing */
    int cpu_threads;
    int argc;
    char **argv;
    int max_states; /* stop after measuring this many (0 = all): for tests of resume */
} sf_sweep_config;

void sf_sweep_config_init(sf_sweep_config *c);
void sf_sweep_config_free(sf_sweep_config *c);
/* Adds "NAME=VALUES", replacing an axis of the same name. Returns 0, or -1 with a message in err. */
int sf_sweep_add_axis(sf_sweep_config *c, const char *spec, char *err, size_t errlen);
/* Loads a preset: a JSON file {"name", "description", "axes": ["T=...", ...], "reference_family"}, or a
 * name looked up in $SPIKEFUSE_PRESETS and the source tree's harness/presets/. */
sf_status sf_sweep_load_preset(sf_sweep_config *c, const char *name_or_path);
/* The presets found by name, sorted: "a, b, c" on one line, or one "name  description" line each. */
sf_status sf_sweep_list_presets(FILE *out, int with_descriptions);

/* Runs the sweep. Returns SF_OK when every state was measured or skipped with a reason; on an error
 * (no device, a sticky CUDA error, Ctrl-C) the states already measured are written and kept. */
sf_status sf_sweep_run(sf_sweep_config *c);

/* Reads a results file and checks its schema; SF_ERR_IO with a message if malformed. The tree, for what
 * copies or edits a file (sweep resume, tests); views read the typed model (results_model.h). */
sf_status sf_results_read(const char *path, cJSON **out);
/* The state with this id in a results tree, whatever its status; NULL if there is none. */
cJSON *sf_results_state(const cJSON *results, const char *id);
/* A check's report as results files record it (a state's "verified"): compared, mismatches, ambiguous,
 * max_abs_err. */
cJSON *sf_check_json(const sf_check_report *r);
/* The record of how a results file was made: argv, version, git commit and dirty flag, compilers and
 * flags, date. Every results file carries it as "meta". */
cJSON *sf_meta_json(int argc, char **argv);
/* gnuplot tables from a sweep results file, a multi-GPU model file or a tuning cache (harness/plotdata.c). */
sf_status sf_write_plot_data(const char *path, const char *dir);

#endif
