/* The states of a sweep: the axes' cross product, each with its kernels, launch and tuned config, or
 * the reason it cannot run here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_info.h"
#include "json_util.h"
#include "spikefuse_core.h"
#include "sweep_private.h"

#define num sf_json_num
#define str sf_json_str

/* ---- states -------------------------------------------------------------------------------- */


/* Values of an axis, or its one default when the axis is not given. */
typedef struct values {
    int count;
    const int64_t *ints;
    char *const *strings;
    int64_t dflt_int;
    const char *dflt_string;
} values;

static values values_of(const sf_sweep_config *c, const char *name, int64_t dflt_int, const char *dflt_string)
{
    values v = {1, NULL, NULL, dflt_int, dflt_string};
    const sf_axis *a = sweep_axis(c, name);
    if (a)
        v.count = a->count, v.ints = a->ints, v.strings = a->strings;
    return v;
}

static int64_t ival(const values *v, int i) { return v->ints ? v->ints[i] : v->dflt_int; }
static const char *sval(const values *v, int i) { return v->strings ? v->strings[i] : v->dflt_string; }

/* The registered kernel of (family, direction, form) storing its tensors as the state's dtype and its
 * spikes as its spikes, with the state's knobs (0 = any; prefetch and stage -1). With no knob given: the
 * backend's default kernel, or the variant with its knobs that stores so. */
static const sf_kernel *find_kernel(sf_backend b, const sweep_state *s, sf_direction d, const char *form)
{
    const sf_kernel *dflt = sf_kernel_default(s->family, d, form, b);
    if (!s->vec && !s->npt && !s->unroll && !s->chunk && s->prefetch <= 0 && s->stage <= 0 && dflt)
        return sf_kernel_with_storage(dflt, s->dtype, s->spikes);
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (strcmp(k->family, s->family) == 0 && k->direction == d && strcmp(k->form, form) == 0 &&
            strcmp(k->dtype, s->dtype) == 0 && sf_kernel_stores_spikes(k, s->spikes) && (!s->vec || k->vec == s->vec) &&
            (!s->npt || k->npt == s->npt) && (!s->unroll || k->unroll == s->unroll) &&
            (!s->chunk || k->chunk == s->chunk) && (s->prefetch < 0 || k->prefetch == s->prefetch) &&
            (s->stage < 0 || k->stage == s->stage))
            return k;
    }
    return NULL;
}

/* The forward form that keeps what backward reads: keep=recompute's training forward keeps checkpoints. */
static const char *forward_form(const sweep_state *s)
{
    return strcmp(s->keep, "recompute") == 0 && strcmp(s->form, "train") == 0 ? "ckpt" : s->form;
}

/* The backward form that reads what forward kept. */
static const char *backward_form(const sweep_state *s)
{
    return strcmp(s->keep, "h") == 0 ? "grad_h" : strcmp(s->keep, "recompute") == 0 ? "grad_ckpt" : "grad";
}

/* The id names the problem and the forward kernel; keep, spikes and dtype only where they are not the
 * paper's (vtrace, f32, f32), so that the ids of results made before they existed still resume. Resume
 * also matches the recorded kernels (sweep.c), which name the backward. */
static void describe(sweep_state *s)
{
    snprintf(s->id, sizeof s->id, "%s|%s|%s|T=%lld|N=%lld|B=%lld|block=%d%s%s%s%s%s%s", s->family, s->direction,
             s->fwd ? s->fwd->name : "-", (long long)s->T, (long long)s->N, (long long)s->B, s->block,
             strcmp(s->keep, "vtrace") ? "|keep=" : "", strcmp(s->keep, "vtrace") ? s->keep : "",
             strcmp(s->spikes, "f32") ? "|spikes=" : "", strcmp(s->spikes, "f32") ? s->spikes : "",
             strcmp(s->dtype, "f32") ? "|dtype=" : "", strcmp(s->dtype, "f32") ? s->dtype : "");
}

/* fused-tuned: the fused kernels and blocks the tuning database gives for this device and problem. */
static void look_up_tuned(const sf_sweep_config *c, const sf_tuning_db *db, sweep_state *s)
{
    sf_tuned f, b;
    int64_t M;
    char storage[32];
    sf_tuning_storage_name(s->dtype, s->spikes, storage, sizeof storage);
    if (!sf_mul_ok(s->N, s->B, &M) ||
        sf_tuning_lookup(db, c->backend, NULL, NULL, "fused", SF_FWD, forward_form(s), storage, s->T, M, &f) != SF_OK)
        return;
    s->fwd = f.kernel, s->block = f.launch.block;
    snprintf(s->tuned, sizeof s->tuned, "fwd %s", sf_lookup_level_name(f.level));
    if (strcmp(s->direction, "fwd+bwd") == 0 &&
        sf_tuning_lookup(db, c->backend, NULL, NULL, "fused", SF_BWD, backward_form(s), storage, s->T, M, &b) == SF_OK) {
        s->bwd = b.kernel, s->block_bwd = b.launch.block;
        snprintf(s->tuned + strlen(s->tuned), sizeof s->tuned - strlen(s->tuned), ", bwd %s",
                 sf_lookup_level_name(b.level));
    }
}

/* Why a state cannot be measured here, or "" if it can. */
static void check_state(const sf_sweep_config *c, sweep_state *s, double mem_limit)
{
    const int both = strcmp(s->direction, "fwd+bwd") == 0;
    int64_t tm;
    if (!both && strcmp(s->keep, "h") == 0)
        snprintf(s->skip, sizeof s->skip, "keep=%s changes only the backward pass: this fwd state is keep=vtrace's",
                 s->keep);
    else if (strcmp(s->keep, "recompute") == 0 && strcmp(s->form, "train") != 0)
        snprintf(s->skip, sizeof s->skip, "keep=recompute changes what the train form keeps; form %s keeps what it "
                 "always does", s->form);
    else if (!s->fwd || (both && !s->bwd))
        snprintf(s->skip, sizeof s->skip,
                 "no registered %s kernel of family '%s', form %s, dtype %s, spikes %s with vec=%d npt=%d unroll=%d "
                 "chunk=%d prefetch=%d stage=%d (0 = default; prefetch and stage -1)",
                 !s->fwd ? "forward" : "backward", s->family, !s->fwd ? forward_form(s) : backward_form(s), s->dtype,
                 s->spikes, s->vec, s->npt, s->unroll, s->chunk, s->prefetch, s->stage);
    else if (both && !(s->fwd->tensors_out & SF_TENSOR_V))
        snprintf(s->skip, sizeof s->skip, "form %s keeps no v trace for a backward pass", s->form);
    else if (!sf_mul_ok(s->N, s->B, &s->M) || !sf_mul_ok(s->T, s->M, &tm))
        snprintf(s->skip, sizeof s->skip, "T x N x B overflows");
    else if (c->backend == SF_BACKEND_CUDA && s->block > 1024)
        snprintf(s->skip, sizeof s->skip, "block of %d threads exceeds the GPU's 1024", s->block);
    else if (sf_trial_bytes(s->fwd, s->bwd, s->T, s->M, 1) > mem_limit)
        snprintf(s->skip, sizeof s->skip, "needs %.2f GiB, more than the %.2f GiB available",
                 sf_trial_bytes(s->fwd, s->bwd, s->T, s->M, 1) / 1073741824.0, mem_limit / 1073741824.0);
}

/* The cartesian product of the axes, the last axis (T) fastest, so that a family's T series is
 * contiguous: an odometer over the axes' value indices. */
enum { AX_DIRECTION, AX_FAMILY, AX_FORM, AX_KEEP, AX_DTYPE, AX_SPIKES, AX_VEC, AX_NPT, AX_UNROLL, AX_CHUNK, AX_PREFETCH, AX_STAGE, AX_BLOCK, AX_B, AX_N, AX_T, AX_COUNT };

sweep_state *sweep_enumerate(const sf_sweep_config *c, const sf_tuning_db *db, int64_t *count, double mem_limit)
{
    static const int64_t paper_T[] = {8, 16, 32, 64, 128};
    values v[AX_COUNT] = {
        values_of(c, "direction", 0, "fwd"), values_of(c, "family", 0, "fused"), values_of(c, "form", 0, "train"),
        values_of(c, "keep", 0, "vtrace"),   values_of(c, "dtype", 0, "f32"),    values_of(c, "spikes", 0, NULL),
        values_of(c, "vec", 0, NULL),
        values_of(c, "npt", 0, NULL),        values_of(c, "unroll", 0, NULL),    values_of(c, "chunk", 0, NULL),
        values_of(c, "prefetch", -1, NULL),  values_of(c, "stage", -1, NULL),
        values_of(c, "block", 0, NULL),
        values_of(c, "B", 1, NULL),          values_of(c, "N", 1000000, NULL),   values_of(c, "T", 0, NULL),
    };
    if (!sweep_axis(c, "T"))
        v[AX_T].count = 5, v[AX_T].ints = paper_T;
    int64_t total = 1;
    for (int a = 0; a < AX_COUNT; ++a)
        total *= v[a].count;
    sweep_state *out = calloc((size_t)total, sizeof *out);
    int at[AX_COUNT] = {0};
    for (int64_t n = 0; out && n < total; ++n) {
        sweep_state *s = &out[n];
        snprintf(s->direction, sizeof s->direction, "%s", sval(&v[AX_DIRECTION], at[AX_DIRECTION]));
        snprintf(s->family, sizeof s->family, "%s", sval(&v[AX_FAMILY], at[AX_FAMILY]));
        snprintf(s->form, sizeof s->form, "%s", sval(&v[AX_FORM], at[AX_FORM]));
        snprintf(s->keep, sizeof s->keep, "%s", sval(&v[AX_KEEP], at[AX_KEEP]));
        snprintf(s->dtype, sizeof s->dtype, "%s", sval(&v[AX_DTYPE], at[AX_DTYPE]));
        /* no spikes axis: the storage that goes with the dtype (f32's f32, the 16-bit types' u8) */
        const char *spikes = sval(&v[AX_SPIKES], at[AX_SPIKES]);
        if (!spikes)
            spikes = sf_spikes_default(s->dtype);
        snprintf(s->spikes, sizeof s->spikes, "%s", spikes ? spikes : "f32");
        s->vec = (int)ival(&v[AX_VEC], at[AX_VEC]);
        s->npt = (int)ival(&v[AX_NPT], at[AX_NPT]);
        s->unroll = (int)ival(&v[AX_UNROLL], at[AX_UNROLL]);
        s->chunk = (int)ival(&v[AX_CHUNK], at[AX_CHUNK]);
        s->prefetch = (int)ival(&v[AX_PREFETCH], at[AX_PREFETCH]);
        s->stage = (int)ival(&v[AX_STAGE], at[AX_STAGE]);
        s->block = (int)ival(&v[AX_BLOCK], at[AX_BLOCK]);
        s->B = ival(&v[AX_B], at[AX_B]);
        s->N = ival(&v[AX_N], at[AX_N]);
        s->T = ival(&v[AX_T], at[AX_T]);
        s->block_bwd = s->block;
        if (strcmp(s->family, SF_TUNED_FAMILY) == 0) {
            look_up_tuned(c, db, s);
        } else {
            s->fwd = find_kernel(c->backend, s, SF_FWD, forward_form(s));
            if (strcmp(s->direction, "fwd+bwd") == 0)
                s->bwd = find_kernel(c->backend, s, SF_BWD, backward_form(s));
        }
        describe(s);
        check_state(c, s, mem_limit);
        for (int a = AX_COUNT - 1; a >= 0 && ++at[a] == v[a].count; --a)
            at[a] = 0;
    }
    *count = total;
    return out;
}

