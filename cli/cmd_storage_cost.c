/* spikefuse storage-cost: what each storage type's rounding costs against fp32 storage, per T. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "commands.h"
#include "files.h"
#include "options.h"

static const char help[] =
    "usage: spikefuse storage-cost [--dtype bf16,f16] [--T [8:128:pow2]] [--M 16384] [--seed 1] [--json FILE]\n"
    "                              [neuron options]\n"
    "For each storage type and T: one layer's forward and backward by the float64 reference with fp32\n"
    "storage, and again with x, the v trace, dL/dy and dL/dx rounded to the type where a kernel of it\n"
    "stores them (arithmetic and membrane state unrounded, as in the kernels' registers), on the\n"
    "harness's inputs (x uniform in [-0.4, 0.8), dL/dy in [-1, 1)). Prints the fraction of neuron-steps\n"
    "whose spike flips, and dL/dx's error against fp32 storage: relative in the 2-norm over the layer,\n"
    "and the largest one in units of the largest |dL/dx|. Every kernel of a storage type matches its\n"
    "rounded evaluation (spikefuse verify checks it), so these hold on any device.\n";

/* --dtype and --T as axis values: "bf16,f16", "[8:128:pow2]". */
typedef struct lists {
    sf_axis dtype, T;
} lists;

static int take_list(sf_axis *a, const char *name, const char *value)
{
    char spec[256], err[256];
    snprintf(spec, sizeof spec, "%s=%s", name, value);
    sf_axis_free(a);
    if (sf_axis_parse(spec, a, err, sizeof err) != 0)
        return fail(0, "storage-cost: %s", err), 0;
    return 1;
}

static int take_dtype(void *dest, const char *value) { return take_list(&((lists *)dest)->dtype, "dtype", value); }
static int take_T(void *dest, const char *value) { return take_list(&((lists *)dest)->T, "T", value); }

int cmd_storage_cost(int argc, char **argv)
{
    lists l;
    memset(&l, 0, sizeof l);
    int64_t M = 16384, seed = 1;
    const char *json_path = NULL;
    sf_lif_params p = sf_lif_defaults();
    const opt_spec rows[] = {
        OPT_CALL_ROW("--dtype", &l, take_dtype, "LIST", "storage types: bf16, f16 (default bf16,f16)"),
        OPT_CALL_ROW("--T", &l, take_T, "LIST", "time steps (default [8:128:pow2])"),
        OPT_I64_ROW("--M", &M, 1, INT64_MAX, "M", "neurons"),
        OPT_I64_ROW("--seed", &seed, 0, INT64_MAX, "S", "of the inputs"),
        OPT_STRING_ROW("--json", &json_path, "FILE", "also write the table as JSON (atomically)"),
        OPT_LIF_ROWS(&p, NULL),
        OPT_END_ROW,
    };
    const opt_command cmd = {.name = "storage-cost", .rows = rows, .help = help};
    int code;
    if (!opt_parse(&cmd, argc, argv, &code))
        return code;
    if (!l.dtype.count && !take_dtype(&l, "bf16,f16"))
        return SF_EXIT_FAIL;
    if (!l.T.count && !take_T(&l, "[8:128:pow2]"))
        return SF_EXIT_FAIL;
    sf_storage st[8];
    for (int i = 0; i < l.dtype.count; ++i)
        if (i >= 8 || sf_storage_parse(l.dtype.strings[i], &st[i]) != SF_OK) {
            code = fail(SF_EXIT_USAGE, "storage-cost: %s", i >= 8 ? "at most 8 storage types" : sf_last_error());
            goto done;
        }
    cJSON *rows_json = cJSON_CreateArray();
    printf("| dtype | T | neuron-steps | spike flip rate | dL/dx rel. error (2-norm) | max dL/dx error / max |dL/dx| |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    code = SF_EXIT_OK;
    for (int i = 0; i < l.dtype.count && code == SF_EXIT_OK; ++i)
        for (int t = 0; t < l.T.count && code == SF_EXIT_OK; ++t) {
            sf_storage_cost c;
            const sf_status s = sf_storage_cost_of(st[i], l.T.ints[t], M, &p, (uint64_t)seed, &c);
            if (s != SF_OK) {
                code = fail(sf_exit_code(s), "storage-cost: %s", sf_last_error());
                break;
            }
            printf("| %s | %lld | %lld | %.3e | %.3e | %.3e |\n", sf_storage_name(st[i]), (long long)l.T.ints[t],
                   (long long)c.neuron_steps, c.spike_flip_rate, c.grad_x_rel_err, c.grad_x_max_err);
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "dtype", sf_storage_name(st[i]));
            cJSON_AddNumberToObject(r, "T", (double)l.T.ints[t]);
            cJSON_AddNumberToObject(r, "M", (double)M);
            cJSON_AddNumberToObject(r, "spike_flip_rate", c.spike_flip_rate);
            cJSON_AddNumberToObject(r, "grad_x_rel_err", c.grad_x_rel_err);
            cJSON_AddNumberToObject(r, "grad_x_max_err", c.grad_x_max_err);
            cJSON_AddItemToArray(rows_json, r);
        }
    if (code == SF_EXIT_OK && json_path) {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(doc, "seed", (double)seed);
        cJSON_AddStringToObject(doc, "surrogate", sf_surrogate_name(p.surrogate));
        cJSON_AddItemToObject(doc, "rows", rows_json);
        rows_json = NULL;
        char *text = cJSON_Print(doc);
        if (!text)
            code = fail(SF_EXIT_FAIL, "storage-cost: no memory for the JSON");
        else if (sf_write_atomic(json_path, text) != SF_OK)
            code = fail(SF_EXIT_FAIL, "storage-cost: %s", sf_last_error());
        free(text);
        cJSON_Delete(doc);
    }
    cJSON_Delete(rows_json);
done:
    sf_axis_free(&l.dtype), sf_axis_free(&l.T);
    return code;
}
