/* Every registered kernel against the float64 reference, on one backend (argv[1]: cpu or cuda):
 * ragged sizes, T = 1 and long T, both surrogates, misaligned tensors, odd blocks; the families
 * agree with each other; segmented fused equals one launch; sf_run refuses what it must. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static sf_backend be;
/* "quick" (the sanitizer build, where a neuron-step costs tens of times more): the same shapes but the
 * two largest M (65537 and 1048579), which add no path the smaller ragged ones do not take (4099: several
 * blocks of every kernel and a ragged tail). */
static int quick;

/* One kernel on one shape under one set of neuron constants, every surrogate that matters, checked.
 * Returns 1 when it passed. */
static int verify_with(const sf_kernel *k, int64_t T, int64_t M, uint64_t seed, int misalign, const sf_launch *l,
                       const sf_lif_param_set *set)
{
    sf_verify_config c = {T, M, seed, misalign, sf_tolerance_default()};
    int ok = 1;
    for (int s = 0; s < (k->direction == SF_BWD ? 2 : 1); ++s) {
        sf_lif_params p = set->params;
        p.surrogate = (sf_surrogate)s;
        sf_check_report r;
        const sf_status st = sf_verify(k, be, &c, &p, l, &r);
        CHECK(st == SF_OK, "%s T=%lld M=%lld: %s", k->name, (long long)T, (long long)M, sf_last_error());
        /* sf_check_passed: nothing mismatched, and ambiguity rare, or the check would be checking little */
        CHECK(st == SF_OK && sf_check_passed(&r),
              "%s T=%lld M=%lld seed=%llu params=%s surrogate=%s misalign=%d block=%d: %lld of %lld mismatch, first "
              "at %lld (got %.9g want %.9g), %lld ambiguous",
              k->name, (long long)T, (long long)M, (unsigned long long)seed, set->name, sf_surrogate_name(p.surrogate),
              misalign, l ? l->block : 0, (long long)r.mismatches, (long long)r.compared, (long long)r.first_bad, r.got,
              r.want, (long long)r.ambiguous);
        ok &= st == SF_OK && sf_check_passed(&r);
    }
    return ok;
}

/* A block the kernel can launch with: kernels that pack spikes take whole words of them, blocks a
 * multiple of 32 (rounded up here; sf_plan refuses others, test_packed_spikes checks it). */
static int block_for(const sf_kernel *k, int block)
{
    return k->spike_bits == 1 ? (block + 31) / 32 * 32 : block;
}

/* Under the paper's constants. */
static int verify(const sf_kernel *k, int64_t T, int64_t M, uint64_t seed, int misalign, const sf_launch *l)
{
    int n = 0;
    return verify_with(k, T, M, seed, misalign, l, &sf_lif_param_sets(&n)[0]);
}

static void test_every_kernel(void)
{
    static const int64_t Ts[] = {1, 2, 7, 128};
    static const int64_t Ms[] = {1, 31, 1000, 2048, 65537, 1048579}; /* 2048: every vector width's aligned path */
    const size_t n_Ms = sizeof Ms / sizeof Ms[0] - 2 * (size_t)quick;
    /* the other constants on fewer shapes: T = 1, a ragged M, long T */
    static const int64_t other_shapes[][2] = {{1, 31}, {7, 1000}, {33, 4099}, {4096, 37}};
    int n_sets = 0;
    const sf_lif_param_set *sets = sf_lif_param_sets(&n_sets);
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        int ok = 1;
        for (size_t a = 0; a < sizeof Ts / sizeof Ts[0]; ++a)
            for (size_t b = 0; b < n_Ms; ++b) {
                if (Ts[a] * Ms[b] > (1 << 22))
                    continue; /* bounded below, and by the long-T cases */
                for (uint64_t seed = 1; seed <= (Ms[b] > 65537 ? 1u : 2u); ++seed) /* a million neurons: one seed */
                    ok &= verify(k, Ts[a], Ms[b], seed, 0, NULL);
            }
        ok &= verify(k, 128, 4099, 3, 0, NULL); /* the paper's largest T on a ragged M */
        ok &= verify(k, 4096, 37, 4, 0, NULL);   /* long T */
        for (int set = 1; set < n_sets; ++set)
            for (size_t sh = 0; sh < sizeof other_shapes / sizeof other_shapes[0]; ++sh)
                ok &= verify_with(k, other_shapes[sh][0], other_shapes[sh][1], 8 + (uint64_t)set, 0, NULL, &sets[set]);
        printf("%-34s %s\n", k->name, ok ? "ok" : "FAILED");
    }
}

/* Rows not aligned to the vector width must take the scalar path, and still be right. */
static void test_misaligned_and_blocks(void)
{
    static const int blocks[] = {1, 32, 33, 96, 1024};
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        verify(k, 9, 1000, 5, 1, NULL);
        /* the largest block the kernel's registers allow: every block up to it runs and is right, one
         * above it is refused with a message before any launch (on an H200, the vec-16 backward kernels
         * stop below 1024 and used to fail at launch with cudaErrorLaunchOutOfResources) */
        int max_block = 0;
        CHECK_OK(sf_max_block(k, be, &max_block));
        CHECK(max_block >= 32 && (be == SF_BACKEND_CPU || max_block <= 1024), "%s: max block %d", k->name, max_block);
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; ++b) {
            sf_launch l = {block_for(k, blocks[b] < max_block ? blocks[b] : max_block), 0, 0, NULL};
            verify(k, 5, 4099, 6, 0, &l);
        }
        if (max_block < 1024) {
            sf_launch over = {max_block + 1, 0, 0, NULL}, planned;
            const sf_status st = sf_plan(k, be, 4099, &over, &planned);
            CHECK(st == SF_ERR_INVALID && strstr(sf_last_error(), "at most"), "%s: block %d above its limit %d: %s",
                  k->name, over.block, max_block, st == SF_OK ? "planned" : sf_last_error());
        }
        sf_launch deflt = {0, 0, 0, NULL}, planned_default;
        CHECK_OK(sf_plan(k, be, 4099, &deflt, &planned_default));
        CHECK(planned_default.block <= max_block, "%s: default block %d above its limit %d", k->name,
              planned_default.block, max_block);
        sf_launch wide = {64, 0, 0, NULL};
        sf_launch planned;
        CHECK_OK(sf_plan(k, be, 4099, &wide, &planned));
        wide.grid = planned.grid + 3; /* extra blocks must find nothing to do */
        verify(k, 5, 4099, 7, 0, &wide);
    }
}

/* Runs the default kernel of (family, direction, form) on the given tensors. */
static void run_default(const char *family, sf_direction d, const char *form, sf_tensors *t, const sf_lif_params *p)
{
    const sf_kernel *k = sf_kernel_default(family, d, form, be);
    CHECK(k != NULL, "no default kernel for %s %s", family, sf_direction_name(d));
    void *ws = NULL;
    if (sf_workspace_bytes(k, t->M))
        CHECK_OK(sf_alloc(be, sf_workspace_bytes(k, t->M), &ws));
    t->workspace = ws;
    CHECK_OK(sf_run(k, be, t, p, NULL));
    CHECK_OK(sf_synchronize(be));
    sf_free(be, ws);
    t->workspace = NULL;
}

/* eager, step and fused: same spikes (up to a step within rounding of the threshold, after which a
 * neuron may legitimately diverge), membranes and gradients within tolerance. */
static void test_families_agree(void)
{
    const int64_t T = 64, M = 20011, TM = T * M;
    const sf_lif_params p = sf_lif_defaults();
    const sf_tolerance tol = sf_tolerance_default();
    const char *families[] = {"eager", "step", "fused"};
    tbuf x = tbuf_make(be, TM), gy = tbuf_make(be, TM);
    tbuf y[3], v[3], gx[3];
    sf_fill_uniform(x.host, TM, 11, -0.4f, 0.8f);
    sf_fill_uniform(gy.host, TM, 12, -1.0f, 1.0f);
    tbuf_upload(&x), tbuf_upload(&gy);
    for (int f = 0; f < 3; ++f) {
        y[f] = tbuf_make(be, TM), v[f] = tbuf_make(be, TM), gx[f] = tbuf_make(be, TM);
        sf_tensors t = {T, M, x.dev, y[f].dev, v[f].dev, NULL, NULL, NULL, NULL, NULL};
        run_default(families[f], SF_FWD, NULL, &t, &p);
        /* backward from the same saved tensors (fused's), so that gradients are comparable */
        tbuf_download(&y[f]), tbuf_download(&v[f]);
    }
    for (int f = 0; f < 3; ++f) {
        sf_tensors t = {T, M, NULL, y[2].dev, v[2].dev, NULL, NULL, gy.dev, gx[f].dev, NULL};
        run_default(families[f], SF_BWD, NULL, &t, &p);
        tbuf_download(&gx[f]);
    }
    for (int f = 0; f < 2; ++f) {
        int64_t spikes_differ = 0, v_bad = 0, g_bad = 0, diverged = 0;
        for (int64_t i = 0; i < M; ++i) {
            for (int64_t s = 0; s < T; ++s) {
                const int64_t at = s * M + i;
                if (fabsf(v[2].host[at] - p.threshold) <= tol.band) {
                    ++diverged; /* from here on this neuron may differ */
                    break;
                }
                spikes_differ += y[f].host[at] != y[2].host[at];
                v_bad += !(fabs(v[f].host[at] - v[2].host[at]) <= tol.atol + tol.rtol * fabs(v[2].host[at]));
            }
            for (int64_t s = 0; s < T; ++s) {
                const int64_t at = s * M + i;
                g_bad += !(fabs(gx[f].host[at] - gx[2].host[at]) <= tol.atol + tol.rtol * fabs(gx[2].host[at]));
            }
        }
        CHECK(spikes_differ == 0 && v_bad == 0, "%s vs fused forward: %lld spikes and %lld membranes differ",
              families[f], (long long)spikes_differ, (long long)v_bad);
        CHECK(g_bad == 0, "%s vs fused backward: %lld gradients differ", families[f], (long long)g_bad);
        CHECK(diverged < M / 100, "%s vs fused: %lld neurons reached the threshold band", families[f],
              (long long)diverged);
    }
    tbuf_drop(&x), tbuf_drop(&gy);
    for (int f = 0; f < 3; ++f)
        tbuf_drop(&y[f]), tbuf_drop(&v[f]), tbuf_drop(&gx[f]);
}

/* T cut into segments chained v_out -> v_in gives exactly one launch of the segment kernel, and
 * that equals the training kernel within tolerance. */
static void test_segments(void)
{
    const int64_t T = 100, M = 3001, TM = T * M;
    const sf_lif_params p = sf_lif_defaults();
    static const int64_t cuts[][6] = {{100}, {1, 99}, {50, 50}, {7, 13, 1, 29, 50}, {33, 33, 34}};
    for (int form = 0; form < 2; ++form) {
        const char *name = form ? "fused_fwd_segment_f32_v4_n1_u1" : "fused_fwd_segment_f32_v1_n1_u1";
        const sf_kernel *seg = sf_kernel_find(name);
        CHECK(seg != NULL, "%s not registered", name);
        if (!seg)
            continue;
        tbuf x = tbuf_make(be, TM), v0 = tbuf_make(be, M);
        tbuf y1 = tbuf_make(be, TM), v1 = tbuf_make(be, TM), out1 = tbuf_make(be, M);
        sf_fill_uniform(x.host, TM, 21, -0.4f, 0.8f);
        for (int64_t i = 0; i < M; ++i)
            v0.host[i] = p.rest;
        tbuf_upload(&x), tbuf_upload(&v0);
        sf_tensors one = {T, M, x.dev, y1.dev, v1.dev, v0.dev, out1.dev, NULL, NULL, NULL};
        CHECK_OK(sf_run(seg, be, &one, &p, NULL));
        tbuf_download(&y1), tbuf_download(&v1), tbuf_download(&out1);

        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; ++c) {
            tbuf y = tbuf_make(be, TM), v = tbuf_make(be, TM), state[2] = {tbuf_make(be, M), tbuf_make(be, M)};
            const void *v_in = v0.dev;
            int64_t t0 = 0;
            for (int s = 0; t0 < T; ++s) {
                const int64_t len = cuts[c][s];
                const size_t off = (size_t)(t0 * M) * sizeof(float);
                sf_tensors t = {len, M, (char *)x.dev + off, (char *)y.dev + off, (char *)v.dev + off, v_in,
                                state[s % 2].dev, NULL, NULL, NULL};
                CHECK_OK(sf_run(seg, be, &t, &p, NULL));
                v_in = state[s % 2].dev;
                t0 += len;
            }
            tbuf_download(&y), tbuf_download(&v);
            float *last = malloc((size_t)M * sizeof *last);
            CHECK_OK(sf_download(be, last, v_in, (size_t)M * sizeof(float)));
            CHECK(memcmp(y.host, y1.host, (size_t)TM * 4) == 0 && memcmp(v.host, v1.host, (size_t)TM * 4) == 0 &&
                      memcmp(last, out1.host, (size_t)M * 4) == 0,
                  "%s: segments (cut %zu) differ from one launch", name, c);
            free(last);
            tbuf_drop(&y), tbuf_drop(&v), tbuf_drop(&state[0]), tbuf_drop(&state[1]);
        }
        /* and one segment launch from rest is the training kernel's result */
        const sf_check_report r =
            sf_check_forward(x.host, v0.host, T, M, &p, y1.host, v1.host, out1.host, sf_tolerance_default());
        CHECK(r.mismatches == 0, "%s: %lld mismatches against the reference", name, (long long)r.mismatches);
        tbuf_drop(&x), tbuf_drop(&v0), tbuf_drop(&y1), tbuf_drop(&v1), tbuf_drop(&out1);
    }
}

/* The CPU's two schedules of a temporal kernel (time outside the threads, and each thread its whole
 * time loop as on CUDA) run the same source and must give the same bits, on ragged sizes and blocks. */
static void test_cpu_schedules(void)
{
    static const int64_t shapes[][2] = {{1, 1}, {7, 31}, {33, 4099}, {128, 2053}};
    static const int blocks[] = {0, 1, 33};
    sf_lif_params p = sf_lif_defaults(); /* under each surrogate: rect has a fast path of its own */
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (k->launches_per_step != 0)
            continue; /* only the fused family loops over time inside its kernels */
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s)
            for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; ++b)
                for (int surrogate = 0; surrogate < 2; ++surrogate) {
                    const int64_t T = shapes[s][0], M = shapes[s][1], TM = T * M;
                    if (blocks[b] == 1 && M > 4099)
                        continue; /* a block a neuron: the small shapes cover it */
                    p.surrogate = (sf_surrogate)surrogate;
                    tbuf in[3] = {tbuf_make(be, TM), tbuf_make(be, TM), tbuf_make(be, TM)};
                    tbuf out[2][3], v_in = tbuf_make(be, M);
                    for (int j = 0; j < 3; ++j)
                        sf_fill_uniform(in[j].host, TM, 31 + (uint64_t)j, -0.4f, 0.8f);
                    sf_fill_uniform(v_in.host, M, 34, -0.2f, 0.2f);
                    /* at the kernel's storage types: raw float bits read as bf16 would hold NaNs, whose
                     * payloads the two schedules' code may propagate differently */
                    /* a backward that replays reads x where the others read y */
                    const unsigned in_bits[3] = {k->direction == SF_FWD ? SF_TENSOR_X : SF_TENSOR_GRAD_Y,
                                                 (k->tensors_in & SF_TENSOR_X) && k->direction == SF_BWD ? SF_TENSOR_X
                                                                                                       : SF_TENSOR_Y,
                                                 SF_TENSOR_V};
                    for (int j = 0; j < 3; ++j)
                        CHECK_OK(sf_upload_tensor(be, k, in_bits[j], in[j].dev, in[j].host, T, M));
                    CHECK_OK(sf_upload_tensor(be, k, SF_TENSOR_V_IN, v_in.dev, v_in.host, 1, M));
                    for (int order = 0; order < 2; ++order) {
                        for (int j = 0; j < 3; ++j) {
                            out[order][j] = tbuf_make(be, TM);
                            memset(out[order][j].host, 0, (size_t)TM * sizeof(float));
                            tbuf_upload(&out[order][j]);
                        }
                        sf_tensors t = k->direction == SF_FWD
                                           ? (sf_tensors){T, M, in[0].dev, out[order][0].dev, out[order][1].dev,
                                                          v_in.dev, out[order][2].dev, NULL, NULL, NULL}
                                           : (sf_tensors){T, M, in[1].dev, in[1].dev, in[2].dev, NULL, NULL,
                                                          in[0].dev, out[order][0].dev, NULL};
                        const sf_launch l = {block_for(k, blocks[b]), 0, 0, NULL};
                        sf_cpu_set_schedule(order ? SF_CPU_THREAD_ORDER : SF_CPU_TIME_OUTER);
                        CHECK_OK(sf_run(k, be, &t, &p, &l));
                        CHECK_OK(sf_synchronize(be));
                    }
                    sf_cpu_set_schedule(SF_CPU_TIME_OUTER);
                    /* the outputs: fwd y, v, v_out ([M] of the [T, M] buffer); bwd grad_x */
                    const unsigned bits[3] = {k->direction == SF_FWD ? SF_TENSOR_Y : SF_TENSOR_GRAD_X, SF_TENSOR_V,
                                              SF_TENSOR_V_OUT};
                    for (int order = 0; order < 2; ++order)
                        for (int j = 0; j < 3; ++j)
                            if (k->tensors_out & bits[j])
                                CHECK_OK(sf_download_tensor(be, k, bits[j], out[order][j].host, out[order][j].dev,
                                                            bits[j] == SF_TENSOR_V_OUT ? 1 : T, M));
                    for (int j = 0; j < 3; ++j)
                        CHECK(!(k->tensors_out & bits[j]) ||
                                  memcmp(out[0][j].host, out[1][j].host, (size_t)TM * sizeof(float)) == 0,
                              "%s T=%lld M=%lld block %d %s: output %d differs between the CPU schedules", k->name,
                              (long long)T, (long long)M, blocks[b], sf_surrogate_name(p.surrogate), j);
                    for (int j = 0; j < 3; ++j)
                        tbuf_drop(&in[j]), tbuf_drop(&out[0][j]), tbuf_drop(&out[1][j]);
                    tbuf_drop(&v_in);
                }
    }
}

/* Impossible requests come back as errors with a message, never a crash. */
static void test_refusals(void)
{
    const sf_kernel *k = sf_kernel_default("fused", SF_FWD, NULL, be);
    const sf_lif_params p = sf_lif_defaults();
    tbuf a = tbuf_make(be, 64), b = tbuf_make(be, 64), c = tbuf_make(be, 64);
    sf_tensors t = {8, 8, a.dev, b.dev, c.dev, NULL, NULL, NULL, NULL, NULL};

    sf_tensors bad = t;
    bad.T = 0;
    CHECK(sf_run(k, be, &bad, &p, NULL) == SF_ERR_INVALID, "T = 0 accepted");
    bad = t, bad.M = -1;
    CHECK(sf_run(k, be, &bad, &p, NULL) == SF_ERR_INVALID, "M < 0 accepted");
    bad = t, bad.T = INT64_MAX / 2, bad.M = 4;
    CHECK(sf_run(k, be, &bad, &p, NULL) == SF_ERR_INVALID, "overflowing T x M accepted");
    bad = t, bad.v = NULL;
    CHECK(sf_run(k, be, &bad, &p, NULL) == SF_ERR_INVALID && strstr(sf_last_error(), "'v'"), "missing v: %s",
          sf_last_error());
    sf_launch l = {2048, 0, 0, NULL};
    if (be == SF_BACKEND_CUDA)
        CHECK(sf_run(k, be, &t, &p, &l) == SF_ERR_INVALID, "block 2048 accepted on CUDA");
    l.block = 0;
    CHECK(sf_run(k, be, &t, &p, &l) == SF_OK, "block 0 (default) refused: %s", sf_last_error());
    l.block = 1, l.grid = 1; /* one thread covers vec x npt <= 16 neurons, not 64 */
    sf_tensors wide = t;
    wide.T = 1, wide.M = 64;
    CHECK(sf_run(k, be, &wide, &p, &l) == SF_ERR_INVALID && strstr(sf_last_error(), "grid-stride"),
          "a grid too small to cover M accepted: %s", sf_last_error());
    sf_lif_params q = p;
    q.rest = 0.5f;
    CHECK(sf_run(k, be, &t, &q, NULL) == SF_ERR_INVALID, "rest >= threshold accepted");
    q = p, q.decay = NAN;
    CHECK(sf_run(k, be, &t, &q, NULL) == SF_ERR_INVALID, "NaN decay accepted");
    const sf_kernel *eager = sf_kernel_default("eager", SF_FWD, NULL, be);
    CHECK(sf_run(eager, be, &t, &p, NULL) == SF_ERR_INVALID && strstr(sf_last_error(), "workspace"),
          "eager without workspace accepted");
    sf_kernel fake = *k;
    CHECK(sf_run(&fake, be, &t, &p, NULL) == SF_ERR_INVALID, "a kernel not from the registry accepted");
    void *huge = NULL;
    CHECK(sf_alloc(be, (size_t)1 << 60, &huge) == SF_ERR_NOMEM && huge == NULL, "an exabyte buffer: %s",
          sf_last_error());
    tbuf_drop(&a), tbuf_drop(&b), tbuf_drop(&c);
}

/* keep=h: a backward that recomputes the spikes fires on the float v it is given exactly as a forward
 * kernel does (sf_lif_spike, the verification's statement of it): on v at, just under and just over V_th
 * its gradient equals, bit for bit, the gradient of the backward that reads those spikes. */
static void test_recomputed_spikes(void)
{
    enum { T = 3, M = 3 };
    const sf_lif_params p = sf_lif_defaults();
    const float edge[M] = {nextafterf(p.threshold, 0.0f), p.threshold, nextafterf(p.threshold, 1.0f)};
    float v[T * M], y[T * M], gy[T * M], got_h[T * M], got[T * M];
    sf_fill_uniform(gy, T * M, 11, -1.0f, 1.0f);
    for (int i = 0; i < T * M; ++i)
        v[i] = edge[i % M], y[i] = sf_lif_spike(v[i], &p);
    CHECK(y[0] == 0.0f && y[1] == 1.0f && y[2] == 1.0f, "sf_lif_spike at V_th: %g %g %g", y[0], y[1], y[2]);
    const sf_kernel *h = sf_kernel_default("fused", SF_BWD, "grad_h", be), *g = sf_kernel_default("fused", SF_BWD, "grad", be);
    const size_t bytes = sizeof v;
    void *dv = NULL, *dy = NULL, *dgy = NULL, *dgx = NULL;
    CHECK_OK(sf_alloc(be, bytes, &dv));
    CHECK_OK(sf_alloc(be, bytes, &dy));
    CHECK_OK(sf_alloc(be, bytes, &dgy));
    CHECK_OK(sf_alloc(be, bytes, &dgx));
    CHECK_OK(sf_upload(be, dv, v, bytes));
    CHECK_OK(sf_upload(be, dy, y, bytes));
    CHECK_OK(sf_upload(be, dgy, gy, bytes));
    sf_tensors t = {T, M, NULL, NULL, dv, NULL, NULL, dgy, dgx, NULL};
    sf_launch l = {0, 0, 0, NULL};
    CHECK_OK(sf_run(h, be, &t, &p, &l));
    CHECK_OK(sf_synchronize(be));
    CHECK_OK(sf_download(be, got_h, dgx, bytes));
    t.y = dy;
    CHECK_OK(sf_run(g, be, &t, &p, &l));
    CHECK_OK(sf_synchronize(be));
    CHECK_OK(sf_download(be, got, dgx, bytes));
    CHECK(memcmp(got_h, got, bytes) == 0, "%s and %s differ at V_th", h->name, g->name);
    const sf_check_report r = sf_check_backward(gy, y, v, T, M, &p, got_h, sf_tolerance_default());
    CHECK(r.mismatches == 0 && r.compared > 0, "%s at V_th: %lld mismatches", h->name, (long long)r.mismatches);
    sf_free(be, dv), sf_free(be, dy), sf_free(be, dgy), sf_free(be, dgx);
}

/* One run of k on the backend: the tensors named in `in` uploaded from host floats (T, M of the layer),
 * those in `out` downloaded into host floats afterwards. slot[i] is the host buffer of tensor bit 1 << i. */
static void run_on_host(const sf_kernel *k, int64_t T, int64_t M, const sf_lif_params *p, float *const slot[7])
{
    void *dev[7] = {0};
    for (int i = 0; i < 7; ++i)
        if ((k->tensors_in | k->tensors_out) & (1u << i)) {
            CHECK_OK(sf_alloc(be, sf_tensor_bytes(k, 1u << i, T, M), &dev[i]));
            /* an [M] tensor comes back as T rows, of which the kernel writes the first: the rest must not
             * be what the allocator left there */
            CHECK_OK(sf_memset(be, dev[i], 0, sf_tensor_bytes(k, 1u << i, T, M)));
            if (k->tensors_in & (1u << i))
                CHECK_OK(sf_upload_tensor(be, k, 1u << i, dev[i], slot[i], T, M));
        }
    sf_tensors t = {T, M, dev[0], dev[1], dev[2], dev[3], dev[4], dev[5], dev[6], NULL};
    CHECK_OK(sf_run(k, be, &t, p, NULL));
    CHECK_OK(sf_synchronize(be));
    for (int i = 0; i < 7; ++i) {
        if (k->tensors_out & (1u << i))
            CHECK_OK(sf_download_tensor(be, k, 1u << i, slot[i], dev[i], T, M));
        sf_free(be, dev[i]);
    }
}

/* keep=recompute is exact: a ckpt forward fires the spikes the paper's fp32 forward fires on the same
 * (storage-rounded) x and keeps, bit for bit, its v at each chunk's end; a grad_ckpt backward, replaying
 * from them, gives bit for bit the paper's fp32 backward's dL/dx (rounded to its dtype; on CUDA within 2
 * ulps, see below), under both surrogates, ragged T and M included. The claim the replay rests on (the reset rounds once whatever the
 * compiler contracts) is checked here on each backend's own compiler. */
static void test_recompute_exact(void)
{
    static const int64_t shapes[][2] = {{1, 33}, {16, 64}, {37, 1001}, {70, 4099}};
    const sf_kernel *train = sf_kernel_default("fused", SF_FWD, "train", be), *grad = sf_kernel_default("fused", SF_BWD, "grad", be);
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (k->chunk == 0)
            continue;
        for (size_t sh = 0; sh < sizeof shapes / sizeof *shapes; ++sh)
            for (int surrogate = 0; surrogate < 2; ++surrogate) {
                int same = 1;
                const int64_t T = shapes[sh][0], M = shapes[sh][1], TM = T * M;
                sf_lif_params p = sf_lif_defaults();
                p.surrogate = (sf_surrogate)surrogate;
                float *x = calloc((size_t)TM, 4), *y = calloc((size_t)TM, 4), *v = calloc((size_t)TM, 4),
                      *gy = calloc((size_t)TM, 4), *gx = calloc((size_t)TM, 4), *y2 = calloc((size_t)TM, 4),
                      *ck = calloc((size_t)TM, 4), *gx2 = calloc((size_t)TM, 4);
                sf_fill_uniform(x, TM, 40 + sh, -0.4f, 0.8f);
                sf_fill_uniform(gy, TM, 50 + sh, -1.0f, 1.0f);
                sf_storage_quantize(k->storage, x, TM);
                sf_storage_quantize(k->storage, gy, TM);
                float *paper[7] = {x, y, v, NULL, NULL, gy, gx};
                run_on_host(train, T, M, &p, paper);
                run_on_host(grad, T, M, &p, paper);
                sf_storage_quantize(k->storage, gx, TM); /* what storing the fp32 gradient at k's dtype gives */
                float *mine[7] = {x, y2, ck, NULL, NULL, gy, gx2};
                if (k->direction == SF_BWD)
                    sf_checkpoints_of_trace(v, T, M, k->chunk, ck); /* the paper's forward's, to replay from */
                run_on_host(k, T, M, &p, mine);
                if (k->direction == SF_FWD) {
                    sf_checkpoints_of_trace(v, T, M, k->chunk, v);
                    same &= memcmp(y, y2, (size_t)TM * 4) == 0 &&
                            memcmp(v, ck, (size_t)sf_tensor_rows(k, SF_TENSOR_V, T) * (size_t)M * 4) == 0;
                } else if (be == SF_BACKEND_CPU) {
                    same &= memcmp(gx, gx2, (size_t)TM * 4) == 0;
                } else {
                    /* nvcc may contract Eq. 3's own products differently in two kernels (the replayed v
                     * cannot differ: the forward check above holds it bit for bit): 2 ulps of fp32, or
                     * one of the dtype where a last-bit difference can round the other way */
                    const double ulp = k->storage == SF_STORAGE_BF16 ? 0x1p-7 : k->storage == SF_STORAGE_F16 ? 0x1p-10 : 0x1p-22;
                    for (int64_t j = 0; j < TM; ++j)
                        same &= fabs((double)gx[j] - gx2[j]) <= ulp * fabs((double)gx[j]) + 1e-30;
                }
                CHECK(same, "%s T=%lld M=%lld %s: differs from the paper's fp32 kernels", k->name, (long long)T,
                      (long long)M, sf_surrogate_name(p.surrogate));
                free(x), free(y), free(v), free(gy), free(gx), free(y2), free(ck), free(gx2);
            }
    }
}

/* Pipelining only moves loads earlier: each kernel that loads ahead (prefetch) or stages its block's
 * input in shared memory (stage) writes, bit for bit, what its twin without either writes (same form,
 * storage and knobs), at T below, at and above the queue's depth and the tile's steps, on rows that
 * staging can take (16-byte aligned, whole 16 bytes: M = 64, 1000, 2048) and rows it cannot (M = 33,
 * 1001, 4099: loaded as without staging). On the CPU the shim counts the rows it staged: exactly T a
 * block where staging applies, none where not, so that a staging path never taken cannot pass here. */
static void test_pipelining_same(void)
{
    static const int64_t shapes[][2] = {{1, 33}, {3, 1001}, {4, 64}, {8, 64}, {17, 1000}, {37, 4099}, {40, 2048}};
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i), *twin = NULL;
        if (k->prefetch == 0 && k->stage == 0)
            continue;
        for (int j = 0; j < sf_kernel_count() && !twin; ++j) {
            const sf_kernel *c = sf_kernel_at(j);
            if (c->prefetch == 0 && c->stage == 0 && !strcmp(c->family, k->family) && c->direction == k->direction &&
                !strcmp(c->form, k->form) && !strcmp(c->dtype, k->dtype) && !strcmp(c->spikes, k->spikes) &&
                c->vec == k->vec && c->npt == k->npt && c->unroll == k->unroll && c->chunk == k->chunk)
                twin = c;
        }
        CHECK(twin != NULL, "%s: no twin without prefetch or staging", k->name);
        for (size_t sh = 0; twin && sh < sizeof shapes / sizeof *shapes; ++sh) {
            const int64_t T = shapes[sh][0], M = shapes[sh][1], TM = T * M;
            sf_lif_params p = sf_lif_defaults();
            p.surrogate = SF_SURROGATE_SIGMOID;
            float *in[3], *out[2][3];
            for (int j = 0; j < 3; ++j) {
                in[j] = calloc((size_t)TM, 4);
                out[0][j] = calloc((size_t)TM, 4), out[1][j] = calloc((size_t)TM, 4);
            }
            sf_fill_uniform(in[0], TM, 60 + sh, -0.4f, 0.8f); /* x, or dL/dy */
            sf_fill_uniform(in[2], TM, 70 + sh, -0.4f, 0.8f); /* v */
            for (int64_t j = 0; j < TM; ++j)
                in[1][j] = sf_lif_spike(in[2][j], &p);
            const uint64_t staged_before = sf_cpu_staged_copies();
            for (int w = 0; w < 2; ++w) {
                const sf_kernel *run = w ? twin : k;
                float *fwd[7] = {in[0], out[w][0], out[w][1], NULL, out[w][2], NULL, NULL};
                /* a replaying backward (grad_ckpt) reads x, and checkpoints in v's first rows */
                float *bwd[7] = {run->tensors_in & SF_TENSOR_X ? in[2] : NULL, in[1], in[2], NULL, NULL, in[0], out[w][0]};
                run_on_host(run, T, M, &p, run->direction == SF_FWD ? fwd : bwd);
            }
            for (int j = 0; j < 3; ++j)
                CHECK(memcmp(out[0][j], out[1][j], (size_t)TM * 4) == 0, "%s T=%lld M=%lld: output %d differs from %s",
                      k->name, (long long)T, (long long)M, j, twin->name);
            if (be == SF_BACKEND_CPU && k->stage > 0) {
                /* the default block, the table's; buffers page-aligned; a row of each [T,M] input a step
                 * and block, where every input's rows and the block's stretch are whole 16 bytes */
                const int64_t width = (int64_t)k->default_block * k->vec * k->npt;
                int inputs = 0, stageable = 1;
                for (unsigned tensor = SF_TENSOR_X; tensor <= SF_TENSOR_GRAD_Y; tensor <<= 1) {
                    if (!(k->tensors_in & tensor) || tensor == SF_TENSOR_V_IN || (tensor == SF_TENSOR_V && k->chunk > 0))
                        continue; /* a boundary state and checkpoints are loaded, not staged */
                    const int bits = tensor == SF_TENSOR_Y ? k->spike_bits : 8 * k->elem_bytes;
                    const int64_t row = bits == 1 ? (M + 31) / 32 * 4 : M * bits / 8;
                    ++inputs;
                    stageable &= row % 16 == 0 && width * bits / 8 % 16 == 0;
                }
                const uint64_t want = stageable ? (uint64_t)(inputs * T * ((M + width - 1) / width)) : 0;
                CHECK(sf_cpu_staged_copies() - staged_before == want, "%s T=%lld M=%lld: %llu rows staged, want %llu",
                      k->name, (long long)T, (long long)M, (unsigned long long)(sf_cpu_staged_copies() - staged_before),
                      (unsigned long long)want);
            }
            for (int j = 0; j < 3; ++j)
                free(in[j]), free(out[0][j]), free(out[1][j]);
        }
    }
}

/* Packed spikes, pinned without the host's packing: one neuron (33) fires at step 0 and must be bit 1 of
 * word 1 of row 0; every bit past M is zero though the buffer held ones; a block that is not a multiple
 * of 32 threads is refused with a message before any launch. */
static void test_packed_spikes(void)
{
    enum { T = 3, M = 70 }; /* rows of 3 words, the last one ragged */
    const sf_lif_params p = sf_lif_defaults();
    float x[T * M] = {0};
    x[33] = 1.0f; /* above V_th at step 0 alone: it resets, and 0 input stays below */
    for (int i = 0; i < sf_kernel_count(); ++i) {
        const sf_kernel *k = sf_kernel_at(i);
        if (k->spike_bits != 1)
            continue;
        sf_launch odd = {33, 0, 0, NULL}, planned;
        CHECK(sf_plan(k, be, M, &odd, &planned) == SF_ERR_INVALID && strstr(sf_last_error(), "multiple of 32"),
              "%s: a block of 33: %s", k->name, sf_last_error());
        if (k->direction != SF_FWD)
            continue;
        const size_t words = sf_tensor_bytes(k, SF_TENSOR_Y, T, M) / 4;
        CHECK(words == T * 3, "%s: %zu words for %d x %d spikes", k->name, words, T, M);
        void *dx = NULL, *dy = NULL, *dv = NULL, *dout = NULL;
        CHECK_OK(sf_alloc(be, sf_tensor_bytes(k, SF_TENSOR_X, T, M), &dx));
        CHECK_OK(sf_alloc(be, words * 4, &dy));
        CHECK_OK(sf_alloc(be, sf_tensor_bytes(k, SF_TENSOR_V, T, M), &dv));
        CHECK_OK(sf_alloc(be, sf_tensor_bytes(k, SF_TENSOR_V_OUT, 1, M), &dout));
        CHECK_OK(sf_upload_tensor(be, k, SF_TENSOR_X, dx, x, T, M));
        CHECK_OK(sf_memset(be, dy, 0xff, words * 4));
        for (int b = 0; b < 2; ++b) { /* the default block, and 32: warps partly past M */
            sf_tensors t = {T, M, dx, dy, dv, NULL, dout, NULL, NULL, NULL};
            sf_launch l = {b ? 32 : 0, 0, 0, NULL};
            CHECK_OK(sf_run(k, be, &t, &p, &l));
            CHECK_OK(sf_synchronize(be));
            uint32_t got[T * 3];
            CHECK_OK(sf_download(be, got, dy, sizeof got));
            for (int w = 0; w < T * 3; ++w)
                CHECK(got[w] == (w == 1 ? 1u << 1 : 0u), "%s block %d: row %d word %d is %08x", k->name, l.block,
                      w / 3, w % 3, got[w]);
        }
        sf_free(be, dx), sf_free(be, dy), sf_free(be, dv), sf_free(be, dout);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || sf_backend_parse(argv[1], &be) != SF_OK || (argc == 3 && strcmp(argv[2], "quick"))) {
        fprintf(stderr, "usage: test_kernels cpu|cuda [quick]\n");
        return 2;
    }
    quick = argc == 3;
    if (sf_backend_available(be) != SF_OK) {
        printf("skipped: backend %s: %s\n", argv[1], sf_last_error());
        return SF_TEST_SKIP;
    }
    test_refusals();
    test_recomputed_spikes();
    test_recompute_exact();
    test_pipelining_same();
    test_packed_spikes();
    if (be == SF_BACKEND_CPU)
        test_cpu_schedules();
    test_segments();
    test_families_agree();
    test_misaligned_and_blocks();
    test_every_kernel();
    return sf_test_summary();
}
