/* spikefuse verify --outputs DIR: another implementation's outputs (a peer library's, a user's, `run`'s)
 * checked against the float64 reference by the rules every kernel is checked by. peers/ uses it, so that
 * a peer is judged by spikefuse's reference and tolerances, not by its kernels or a second copy of the
 * rules.
 *
 * DIR holds .npy files of one shape [T, M] or [T, B, N], in the dtypes `run` reads (float32, float16,
 * bf16 bits with --bf16-bits; spikes also uint8, or packed with --packed-spikes):
 *   x.npy          the input (required);
 *   y.npy          the spikes (required);
 *   v.npy          the membrane before the reset (spikefuse's v, SpikingJelly's h), or with --chunk K
 *                  the fp32 checkpoints a ckpt forward keeps ([ceil(T/K), M...]), or
 *   v_reset.npy    the membrane after it (SpikingJelly's v_seq): V_rest where y = 1, else v; or neither;
 *   gy.npy, gx.npy dL/dy given and the dL/dx computed (both or neither).
 * The backward check takes the implementation's own y, and its v where it gave one (else the
 * reference's, rounded as the implementation stores it, where the spikes agree); with --chunk it judges
 * dL/dx as a backward that replays each chunk from x and the checkpoints. --dtype names the storage:
 * x and dL/dy are read as the implementation read them (rounded to it), v and dL/dx judged by its
 * storage model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "layer_input.h"
#include "options.h"
#include "sweep.h"
#include "verify_outputs.h"

typedef struct outputs {
    sf_npy x, y, v, v_reset, gy, gx;
    int64_t T, M;
} outputs;

static void release(outputs *o)
{
    sf_npy *all[] = {&o->x, &o->y, &o->v, &o->v_reset, &o->gy, &o->gx};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i)
        sf_npy_free(all[i]);
}

/* Loads DIR/name into a (left empty when optional and absent) as the options read it; 0 after printing
 * why not. */
static int load(const char *dir, const char *name, int required, const sf_npy *like, const verify_outputs_options *opt,
                sf_npy *a, int64_t *T, int64_t *M)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, F_OK) != 0) {
        if (required)
            return fail(0, "verify --outputs: %s is missing", path), 0;
        return 1;
    }
    if (strcmp(name, "y.npy") == 0)
        return read_spikes_npy(path, like, opt->packed_spikes, a);
    if (strcmp(name, "v.npy") == 0 && opt->chunk > 0)
        return read_checkpoints_npy(path, like, opt->chunk, "--chunk", opt->bf16_bits, a);
    return read_state_npy(path, like, "x.npy", opt->bf16_bits, a, T, M);
}

/* The report as a sweep's state records it, with the verdict and the first mismatch. */
static cJSON *report_json(const sf_check_report *r)
{
    cJSON *o = sf_check_json(r);
    cJSON_AddBoolToObject(o, "passed", sf_check_passed(r));
    if (r->mismatches) {
        cJSON_AddNumberToObject(o, "first_bad", (double)r->first_bad);
        cJSON_AddNumberToObject(o, "got", r->got);
        cJSON_AddNumberToObject(o, "want", r->want);
    }
    return o;
}

static void print_line(const char *what, const sf_check_report *r)
{
    printf("%-9s %-6s %12lld compared %10lld ambiguous  max_err %.2e", what, sf_check_passed(r) ? "ok" : "FAIL",
           (long long)r->compared, (long long)r->ambiguous, r->max_abs_err);
    if (r->mismatches)
        printf("  %lld mismatches, first at %lld: got %.9g want %.9g", (long long)r->mismatches,
               (long long)r->first_bad, r->got, r->want);
    printf("\n");
}

/* Where y = 1 the after-reset membrane must be V_rest; elsewhere it is v. Returns the v the forward
 * check compares (the reference's where the implementation spiked) and counts wrong resets. */
static float *membrane_from_reset(const outputs *o, const sf_lif_params *p, const float *v_ref, int64_t *bad)
{
    float *v = malloc((size_t)o->x.count * sizeof *v);
    if (!v)
        return NULL;
    *bad = 0;
    for (int64_t i = 0; i < o->x.count; ++i) {
        const int spiked = o->y.data[i] != 0.0f;
        v[i] = spiked ? v_ref[i] : o->v_reset.data[i];
        *bad += spiked && !(fabsf(o->v_reset.data[i] - p->rest) <= 1e-5f + 1e-5f * fabsf(p->rest));
    }
    return v;
}

/* The inputs' consistency, once loaded; 0 after a message. */
static int complete(const char *dir, const outputs *o, const verify_outputs_options *opt)
{
    if ((!o->gy.data) != (!o->gx.data))
        return fail(0, "verify --outputs: %s needs both gy.npy and gx.npy, or neither", dir), 0;
    if (o->v.data && o->v_reset.data)
        return fail(0, "verify --outputs: %s has v.npy and v_reset.npy; give one", dir), 0;
    if (opt->chunk > 0 && !o->v.data)
        return fail(0, "verify --outputs: --chunk %d judges the checkpoints in v.npy, and %s has none%s", opt->chunk,
                    dir, o->v_reset.data ? " (v_reset.npy is a trace)" : ""), 0;
    return 1;
}

int verify_outputs(const char *dir, const verify_outputs_options *opt)
{
    const sf_lif_params *p = &opt->lif;
    outputs o;
    memset(&o, 0, sizeof o);
    int ok = load(dir, "x.npy", 1, NULL, opt, &o.x, &o.T, &o.M) && load(dir, "y.npy", 1, &o.x, opt, &o.y, &o.T, &o.M) &&
             load(dir, "v.npy", 0, &o.x, opt, &o.v, &o.T, &o.M) &&
             load(dir, "v_reset.npy", 0, &o.x, opt, &o.v_reset, &o.T, &o.M) &&
             load(dir, "gy.npy", 0, &o.x, opt, &o.gy, &o.T, &o.M) && load(dir, "gx.npy", 0, &o.x, opt, &o.gx, &o.T, &o.M);
    if (!ok || !complete(dir, &o, opt))
        return release(&o), SF_EXIT_USAGE;
    if (sf_verify_check_size(o.T, o.M) != SF_OK)
        return release(&o), fail(SF_EXIT_USAGE, "%s", sf_last_error());

    /* what the implementation read: x and dL/dy at its storage */
    const size_t n = (size_t)o.x.count;
    sf_storage_quantize(opt->storage, o.x.data, o.x.count);
    if (o.gy.data)
        sf_storage_quantize(opt->storage, o.gy.data, o.gy.count);
    /* the reference's membrane as the implementation stores it, where the files give none to check
     * against: v_reset's spiking steps, or a backward without v */
    float *v_ref = NULL, *v_cmp = NULL;
    if (opt->chunk == 0 && !o.v.data && (o.v_reset.data || o.gx.data)) {
        float *y_ref = malloc(n * sizeof *y_ref);
        v_ref = malloc(n * sizeof *v_ref);
        const sf_status s = y_ref && v_ref ? sf_reference_saved_forward(o.x.data, o.T, o.M, p, opt->storage, y_ref, v_ref)
                                           : SF_ERR_NOMEM;
        free(y_ref);
        if (s != SF_OK) {
            free(v_ref), release(&o);
            return fail(SF_EXIT_FAIL, "verify --outputs: out of memory for T = %lld, M = %lld", (long long)o.T,
                        (long long)o.M);
        }
    }
    int64_t bad_resets = 0;
    const char *membrane = opt->chunk > 0 ? "checkpoints" : o.v.data ? "v" : o.v_reset.data ? "v_reset" : "none";
    if (o.v_reset.data && !(v_cmp = membrane_from_reset(&o, p, v_ref, &bad_resets))) {
        free(v_ref), release(&o);
        return fail(SF_EXIT_FAIL, "verify --outputs: out of memory");
    }
    sf_tolerance tol = sf_tolerance_default();
    tol.storage = opt->storage;
    sf_check_report fwd, bwd = {0, 0, 0, 0.0, -1, 0.0, 0.0};
    if (opt->chunk > 0) {
        sf_tolerance fp32 = tol;
        fp32.storage = SF_STORAGE_F32; /* checkpoints are fp32 whatever the storage */
        fwd = sf_check_forward_checkpoints(o.x.data, o.T, o.M, p, o.y.data, o.v.data, opt->chunk, fp32);
        if (o.gx.data)
            bwd = sf_check_backward_replayed(o.gy.data, o.x.data, o.v.data, o.T, o.M, p, opt->chunk, o.gx.data, tol);
    } else {
        const float *v = o.v.data ? o.v.data : v_cmp;
        fwd = sf_check_forward(o.x.data, NULL, o.T, o.M, p, o.y.data, v, NULL, tol);
        if (bad_resets) { /* a wrong after-reset value is a membrane mismatch */
            fwd.mismatches += bad_resets;
            fwd.compared += bad_resets;
        }
        if (o.gx.data)
            bwd = sf_check_backward_reset(o.gy.data, o.y.data, v ? v : v_ref, o.T, o.M, p, opt->reset_grad, o.gx.data,
                                          tol);
    }
    const int passed = sf_check_passed(&fwd) && (!o.gx.data || sf_check_passed(&bwd));
    const char *reset = opt->reset_grad == SF_RESET_GRAD_KEPT ? "kept" : "detached";

    if (opt->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "T", (double)o.T);
        cJSON_AddNumberToObject(j, "M", (double)o.M);
        cJSON_AddStringToObject(j, "dtype", sf_storage_name(opt->storage));
        cJSON_AddStringToObject(j, "membrane", membrane);
        if (opt->chunk > 0)
            cJSON_AddNumberToObject(j, "chunk", opt->chunk);
        cJSON_AddStringToObject(j, "reset_grad", reset);
        cJSON_AddItemToObject(j, "forward", report_json(&fwd));
        if (o.gx.data)
            cJSON_AddItemToObject(j, "backward", report_json(&bwd));
        cJSON_AddBoolToObject(j, "passed", passed);
        char *text = cJSON_Print(j);
        if (text)
            puts(text);
        cJSON_free(text);
        cJSON_Delete(j);
    } else {
        printf("verify %s: T=%lld M=%lld dtype %s, membrane %s", dir, (long long)o.T, (long long)o.M,
               sf_storage_name(opt->storage), membrane);
        if (opt->chunk > 0)
            printf(" (one every %d steps)", opt->chunk);
        printf(", reset gradient %s\n", reset);
        print_line("forward", &fwd);
        if (bad_resets)
            printf("          %lld after-reset membranes are not V_rest where y = 1\n", (long long)bad_resets);
        if (o.gx.data)
            print_line("backward", &bwd);
        printf("%s\n", passed ? "passed" : "FAILED");
    }
    free(v_ref), free(v_cmp), release(&o);
    return passed ? SF_EXIT_OK : SF_EXIT_FAIL;
}
