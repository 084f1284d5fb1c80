/* spikefuse verify --outputs DIR: another implementation's outputs (a peer library's, a user's) checked
 * against the float64 reference by the rules every kernel is checked by. peers/ uses it, so that a peer
 * is judged by spikefuse's reference and tolerances, not by its kernels or a second copy of the rules.
 *
 * DIR holds float32 .npy files of one shape [T, M] or [T, B, N]:
 *   x.npy          the input (required);
 *   y.npy          the spikes (required);
 *   v.npy          the membrane before the reset (spikefuse's v, SpikingJelly's h), or
 *   v_reset.npy    the membrane after it (SpikingJelly's v_seq): V_rest where y = 1, else v; or neither;
 *   gy.npy, gx.npy dL/dy given and the dL/dx computed (both or neither).
 * The backward check takes the implementation's own y, and its v where it gave one (else the
 * reference's, rounded to float32, where the spikes agree). */
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

/* Loads DIR/name into a (left empty when optional and absent); 0 after printing why not. */
static int load(const char *dir, const char *name, int required, const sf_npy *like, sf_npy *a, int64_t *T,
                int64_t *M)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, F_OK) != 0) {
        if (required)
            return fail(0, "verify --outputs: %s is missing", path), 0;
        return 1;
    }
    return read_layer_npy(path, like, "x.npy", strcmp(name, "y.npy") == 0 ? SF_NPY_U1 : 0, a, T, M);
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

int verify_outputs(const char *dir, const sf_lif_params *p, sf_reset_grad reset_grad, int json)
{
    outputs o;
    memset(&o, 0, sizeof o);
    int ok = load(dir, "x.npy", 1, NULL, &o.x, &o.T, &o.M) && load(dir, "y.npy", 1, &o.x, &o.y, &o.T, &o.M) &&
             load(dir, "v.npy", 0, &o.x, &o.v, &o.T, &o.M) && load(dir, "v_reset.npy", 0, &o.x, &o.v_reset, &o.T, &o.M) &&
             load(dir, "gy.npy", 0, &o.x, &o.gy, &o.T, &o.M) && load(dir, "gx.npy", 0, &o.x, &o.gx, &o.T, &o.M);
    if (ok && (!o.gy.data) != (!o.gx.data))
        ok = fail(0, "verify --outputs: %s needs both gy.npy and gx.npy, or neither", dir);
    if (ok && o.v.data && o.v_reset.data)
        ok = fail(0, "verify --outputs: %s has v.npy and v_reset.npy; give one", dir);
    if (!ok)
        return release(&o), SF_EXIT_USAGE;
    if (sf_verify_check_size(o.T, o.M) != SF_OK)
        return release(&o), fail(SF_EXIT_USAGE, "%s", sf_last_error());

    /* the reference's membrane, rounded as a float32 implementation stores it */
    const size_t n = (size_t)o.x.count;
    double *ry = malloc(n * sizeof *ry), *rv = malloc(n * sizeof *rv);
    float *v_ref = malloc(n * sizeof *v_ref), *v_cmp = NULL;
    if (!ry || !rv || !v_ref) {
        free(ry), free(rv), free(v_ref), release(&o);
        return fail(SF_EXIT_FAIL, "verify --outputs: out of memory for T = %lld, M = %lld", (long long)o.T,
                    (long long)o.M);
    }
    sf_reference_forward(o.x.data, NULL, o.T, o.M, p, ry, rv, NULL);
    for (size_t i = 0; i < n; ++i)
        v_ref[i] = (float)rv[i];
    free(ry), free(rv);
    int64_t bad_resets = 0;
    const char *membrane = o.v.data ? "v" : o.v_reset.data ? "v_reset" : "none";
    if (o.v_reset.data && !(v_cmp = membrane_from_reset(&o, p, v_ref, &bad_resets))) {
        free(v_ref), release(&o);
        return fail(SF_EXIT_FAIL, "verify --outputs: out of memory");
    }
    const sf_tolerance tol = sf_tolerance_default();
    sf_check_report fwd = sf_check_forward(o.x.data, NULL, o.T, o.M, p, o.y.data, o.v.data ? o.v.data : v_cmp, NULL, tol);
    if (bad_resets) { /* a wrong after-reset value is a membrane mismatch */
        fwd.mismatches += bad_resets;
        fwd.compared += bad_resets;
    }
    sf_check_report bwd = {0, 0, 0, 0.0, -1, 0.0, 0.0};
    if (o.gx.data)
        bwd = sf_check_backward_reset(o.gy.data, o.y.data, o.v.data ? o.v.data : v_cmp ? v_cmp : v_ref, o.T, o.M, p, reset_grad,
                                      o.gx.data, tol);
    const int passed = sf_check_passed(&fwd) && (!o.gx.data || sf_check_passed(&bwd));

    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "T", (double)o.T);
        cJSON_AddNumberToObject(j, "M", (double)o.M);
        cJSON_AddStringToObject(j, "membrane", membrane);
        cJSON_AddStringToObject(j, "reset_grad", reset_grad == SF_RESET_GRAD_KEPT ? "kept" : "detached");
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
        printf("verify %s: T=%lld M=%lld membrane %s, reset gradient %s\n", dir, (long long)o.T, (long long)o.M,
               membrane, reset_grad == SF_RESET_GRAD_KEPT ? "kept" : "detached");
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
