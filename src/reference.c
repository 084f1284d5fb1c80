/* A float64 evaluation of the paper's Eqs. 1-3, written apart from the kernels (it shares no code with
 * kernels/), and the comparisons that check a kernel's outputs against it.
 *
 * The backward pass is arranged as autograd would run it (through the spike, then the decay), not as
 * the fused kernel's single expression, so that the algebra of Eq. 3 is checked too. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "internal.h"

typedef struct neuron {
    double k, th, rest, width, alpha;
    float k_f, rest_f; /* the same as the kernels' floats, for fp32_charge */
    sf_surrogate surrogate;
    sf_reset_grad reset_grad;
    int fp32_window; /* rect's window test on v - V_th rounded to float, as fp32 computes it */
} neuron;

static neuron neuron_of(const sf_lif_params *p)
{
    /* the kernels receive these as float: compare against exactly those values */
    neuron n = {p->decay, p->threshold, p->rest, p->width, p->alpha, p->decay, p->rest, p->surrogate,
                SF_RESET_GRAD_KEPT, 0};
    return n;
}

static double surrogate(const neuron *n, double v)
{
    const double u = v - n->th;
    if (n->surrogate == SF_SURROGATE_SIGMOID) {
        const double e = exp(-n->alpha * fabs(u)); /* symmetric in u; never overflows */
        return n->alpha * e / ((1.0 + e) * (1.0 + e));
    }
    /* v and V_th are floats: their difference is exact in double, so one rounding is fp32's */
    return fabs(n->fp32_window ? (double)(float)u : u) < n->width ? 1.0 : 0.0;
}

/* Whether rounding can flip rect's window test |v - V_th| < width at this v. v is the same float for
 * kernel and reference, so only the kernel's rounding of v - V_th matters: a few ulps. */
static int window_edge_ambiguous(const neuron *n, double v)
{
    const double ulps = 4.0 * FLT_EPSILON * (fabs(v) + fabs(n->th) + n->width);
    return n->surrogate == SF_SURROGATE_RECT && fabs(fabs(v - n->th) - n->width) <= ulps;
}

/* Eq. 1 as fp32 arithmetic computes it, each operation rounded once to float: k v(t-1) unless y(t-1)
 * resets it to V_rest (exact: y is 0 or 1), then + x(t). A product or sum of two floats is exact in
 * double, so rounding it to float is what the fp32 operation gives; the casts keep the compiler from
 * contracting across them. What a backward that replays forward from a checkpoint recomputes. */
static float fp32_charge(const neuron *n, float v_prev, float y_prev, float x)
{
    const float kept = y_prev != 0.0f ? n->rest_f : (float)((double)n->k_f * (double)v_prev);
    return (float)((double)kept + (double)x);
}

/* Eq. 1: v(t) from v(t-1), y(t-1) and x(t). */
static double charge(const neuron *n, double v_prev, double y_prev, double x)
{
    return n->k * v_prev * (1.0 - y_prev) + n->rest * y_prev + x;
}

/* One neuron's dL/dx over all t, into out[t * stride]. */
static void backward_neuron(const neuron *n, const float *grad_y, const float *y, const float *v, int64_t T,
                            int64_t M, int64_t i, double *out, int64_t stride)
{
    double g_next = 0.0; /* dL/dv(t+1); g(T) = 0 */
    for (int64_t t = T - 1; t >= 0; --t) {
        const int64_t at = t * M + i;
        double spike_grad = grad_y[at]; /* dL/dy(t): directly, and through the reset unless it is detached */
        if (n->reset_grad == SF_RESET_GRAD_KEPT)
            spike_grad += g_next * (n->rest - n->k * v[at]);
        const double direct = g_next * n->k * (1.0 - y[at]);                      /* through the decay */
        g_next = spike_grad * surrogate(n, v[at]) + direct;
        out[t * stride] = g_next;
    }
}

sf_tolerance sf_tolerance_default(void)
{
    sf_tolerance t = {1e-5, 1e-5, 1e-5, SF_STORAGE_F32};
    return t;
}

sf_tolerance sf_tolerance_for(const sf_kernel *k)
{
    sf_tolerance t = sf_tolerance_default();
    t.storage = k ? k->storage : SF_STORAGE_F32;
    return t;
}

/* ---- the storage model ----------------------------------------------------------------------- */

/* x to `digits` significant bits, ties to even; below 2^emin the quantum stays 2^(emin - digits + 1)
 * (subnormals); beyond the largest finite value, infinity (what round to nearest gives there, since
 * `largest` is rounded from x itself). */
static double round_to_format(double x, int digits, int emin, double largest)
{
    if (x == 0.0 || !isfinite(x))
        return x;
    int e;
    (void)frexp(x, &e); /* |x| in [2^(e-1), 2^e) */
    const int lead = e - 1 < emin ? emin : e - 1;
    const double quantum = ldexp(1.0, lead - digits + 1);
    const double r = nearbyint(x / quantum) * quantum; /* x / quantum is exact: a power of two */
    return fabs(r) > largest ? copysign(INFINITY, x) : r;
}

double sf_storage_round(sf_storage s, double x)
{
    switch (s) {
    case SF_STORAGE_BF16:
        return round_to_format(x, 8, -126, ldexp(255.0, 120)); /* (2 - 2^-7) 2^127 */
    case SF_STORAGE_F16:
        return round_to_format(x, 11, -14, 65504.0);
    default:
        return x;
    }
}

void sf_storage_quantize(sf_storage s, float *values, int64_t n)
{
    if (s == SF_STORAGE_F32)
        return;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i)
        values[i] = (float)sf_storage_round(s, values[i]);
}

int sf_check_passed(const sf_check_report *r)
{
    return r->compared > 0 && r->mismatches == 0 && r->ambiguous * 100 <= r->compared;
}

void sf_reference_forward(const float *x, const float *v_in, int64_t T, int64_t M, const sf_lif_params *p,
                          double *y, double *v, double *v_out)
{
    const neuron n = neuron_of(p);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < M; ++i) {
        double vm = v_in ? v_in[i] : n.rest;
        double sp = v_in && vm >= n.th ? 1.0 : 0.0;
        for (int64_t t = 0; t < T; ++t) {
            vm = charge(&n, vm, sp, x[t * M + i]);
            sp = vm >= n.th ? 1.0 : 0.0;
            y[t * M + i] = sp;
            v[t * M + i] = vm;
        }
        if (v_out)
            v_out[i] = vm;
    }
}

void sf_reference_backward(const float *grad_y, const float *y, const float *v, int64_t T, int64_t M,
                           const sf_lif_params *p, double *grad_x)
{
    const neuron n = neuron_of(p);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < M; ++i)
        backward_neuron(&n, grad_y, y, v, T, M, i, grad_x + i, M);
}

sf_status sf_reference_saved_forward(const float *x, int64_t T, int64_t M, const sf_lif_params *p, sf_storage s,
                                     float *y, float *v)
{
    const int64_t TM = T * M;
    double *yd = malloc((size_t)TM * sizeof *yd), *vd = malloc((size_t)TM * sizeof *vd);
    if (!yd || !vd) {
        free(yd), free(vd);
        return sf_fail(SF_ERR_NOMEM, "no host memory for the float64 forward of T x M = %lld", (long long)TM);
    }
    sf_reference_forward(x, NULL, T, M, p, yd, vd, NULL);
    for (int64_t i = 0; i < TM; ++i) {
        v[i] = (float)vd[i];
        y[i] = sf_lif_spike(v[i], p);
    }
    sf_storage_quantize(s, v, TM);
    free(yd), free(vd);
    return SF_OK;
}

/* ---- checks ---------------------------------------------------------------------------------- */

/* A stored membrane or gradient against the reference: within the fp32 tolerance, then rounded as the
 * kernel stored it (rounding is monotone, so every float within the tolerance stores into that range). */
static int close_enough(double got, double want, sf_tolerance tol)
{
    const double e = tol.atol + tol.rtol * fabs(want);
    if (tol.storage == SF_STORAGE_F32)
        return fabs(got - want) <= e; /* false for NaN */
    return got >= sf_storage_round(tol.storage, want - e) && got <= sf_storage_round(tol.storage, want + e);
}

/* Folds one neuron's findings into the report (called inside a critical section). */
static void merge(sf_check_report *r, const sf_check_report *n)
{
    r->compared += n->compared;
    r->ambiguous += n->ambiguous;
    if (n->max_abs_err > r->max_abs_err || isnan(n->max_abs_err))
        r->max_abs_err = n->max_abs_err;
    if (n->mismatches && (r->first_bad < 0 || n->first_bad < r->first_bad)) {
        r->first_bad = n->first_bad;
        r->got = n->got;
        r->want = n->want;
    }
    r->mismatches += n->mismatches;
}

static void note(sf_check_report *r, int64_t at, double got, double want, int ok)
{
    r->compared++;
    const double err = fabs(got - want);
    if (err > r->max_abs_err || isnan(err))
        r->max_abs_err = isnan(err) ? NAN : err;
    if (!ok) {
        if (!r->mismatches) {
            r->first_bad = at;
            r->got = got;
            r->want = want;
        }
        r->mismatches++;
    }
}

static sf_check_report empty_report(void)
{
    sf_check_report r = {0, 0, 0, 0.0, -1, 0.0, 0.0};
    return r;
}

/* The forward check: spikes at every step, v where it was kept: every step's (every = 1, the trace) or
 * the last step's of each chunk of `every` and the last step's (checkpoints, one row a chunk). */
static sf_check_report check_forward(const float *x, const float *v_in, int64_t T, int64_t M, const sf_lif_params *p,
                                     const float *y, const float *v, int64_t every, const float *v_out, sf_tolerance tol)
{
    const neuron n = neuron_of(p);
    sf_check_report total = empty_report();
    if (every < 1) {
        note(&total, 0, NAN, 0.0, 0); /* a check that cannot run must not pass */
        return total;
    }
#pragma omp parallel
    {
        sf_check_report mine = empty_report();
#pragma omp for schedule(static)
        for (int64_t i = 0; i < M; ++i) {
            double vm = v_in ? v_in[i] : n.rest;
            double sp = v_in && vm >= n.th ? 1.0 : 0.0;
            for (int64_t t = 0; t < T; ++t) {
                const int64_t at = t * M + i;
                vm = charge(&n, vm, sp, x[at]);
                const double got = y[at];
                if (fabs(vm - n.th) <= tol.band && (got == 0.0 || got == 1.0)) {
                    sp = got; /* on the edge: either spike is right; follow the kernel's */
                    mine.ambiguous++;
                } else {
                    sp = vm >= n.th ? 1.0 : 0.0;
                }
                note(&mine, at, got, sp, got == sp);
                if (v && (t % every == every - 1 || t == T - 1)) {
                    const int64_t kept = (t / every) * M + i; /* a checkpoint's index follows the spikes' */
                    note(&mine, every == 1 ? at : T * M + kept, v[kept], vm, close_enough(v[kept], vm, tol));
                }
            }
            if (v_out)
                note(&mine, T * M + i, v_out[i], vm, close_enough(v_out[i], vm, tol));
        }
#pragma omp critical
        merge(&total, &mine);
    }
    return total;
}

sf_check_report sf_check_forward(const float *x, const float *v_in, int64_t T, int64_t M,
                                 const sf_lif_params *p, const float *y, const float *v, const float *v_out,
                                 sf_tolerance tol)
{
    return check_forward(x, v_in, T, M, p, y, v, 1, v_out, tol);
}

sf_check_report sf_check_forward_checkpoints(const float *x, int64_t T, int64_t M, const sf_lif_params *p,
                                             const float *y, const float *ckpt, int chunk, sf_tolerance tol)
{
    return check_forward(x, NULL, T, M, p, y, ckpt, chunk, NULL, tol);
}

sf_check_report sf_check_backward_replayed(const float *grad_y, const float *x, const float *ckpt, int64_t T,
                                           int64_t M, const sf_lif_params *p, int chunk, const float *grad_x,
                                           sf_tolerance tol)
{
    neuron n = neuron_of(p);
    /* the trace is the fp32 one the kernel recomputes, so its window test can be fp32's too: a replay
     * from lattice-valued bf16 inputs lands within rounding of the window's edge too often to skip */
    n.fp32_window = 1;
    sf_check_report total = empty_report();
    if (chunk < 1) {
        note(&total, 0, NAN, 0.0, 0); /* a check that cannot run must not pass */
        return total;
    }
#pragma omp parallel
    {
        sf_check_report mine = empty_report();
        float *col = calloc((size_t)3 * (size_t)T, sizeof *col); /* one neuron's dL/dy, y and v */
        double *out = malloc((size_t)T * sizeof *out);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < M; ++i) {
            if (!col || !out) {
                note(&mine, i, NAN, 0.0, 0);
                continue;
            }
            float *gy = col, *y = col + T, *v = col + 2 * T;
            for (int64_t t = 0; t < T; ++t) {
                gy[t] = grad_y[t * M + i];
                float prev = n.rest_f, spiked = 0.0f;
                if (t % chunk == 0 && t > 0)
                    prev = ckpt[(t / chunk - 1) * M + i], spiked = sf_lif_spike(prev, p);
                else if (t > 0)
                    prev = v[t - 1], spiked = y[t - 1];
                v[t] = fp32_charge(&n, prev, spiked, x[t * M + i]);
                y[t] = sf_lif_spike(v[t], p);
            }
            backward_neuron(&n, gy, y, v, T, 1, 0, out, 1);
            for (int64_t t = 0; t < T; ++t) {
                const int64_t at = t * M + i;
                note(&mine, at, grad_x[at], out[t], close_enough(grad_x[at], out[t], tol));
            }
        }
        free(col), free(out);
#pragma omp critical
        merge(&total, &mine);
    }
    return total;
}

sf_check_report sf_check_backward(const float *grad_y, const float *y, const float *v, int64_t T, int64_t M,
                                  const sf_lif_params *p, const float *grad_x, sf_tolerance tol)
{
    return sf_check_backward_reset(grad_y, y, v, T, M, p, SF_RESET_GRAD_KEPT, grad_x, tol);
}

sf_check_report sf_check_backward_reset(const float *grad_y, const float *y, const float *v, int64_t T, int64_t M,
                                        const sf_lif_params *p, sf_reset_grad reset_grad, const float *grad_x,
                                        sf_tolerance tol)
{
    neuron n = neuron_of(p);
    n.reset_grad = reset_grad;
    sf_check_report total = empty_report();
    double *col = NULL;
#pragma omp parallel private(col)
    {
        sf_check_report mine = empty_report();
        col = malloc((size_t)T * sizeof *col);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < M; ++i) {
            if (!col) { /* counted as a failure: a check that could not run must not pass */
                note(&mine, i, NAN, 0.0, 0);
                continue;
            }
            /* gradients at and before the last step whose window test could round either way depend
             * on that step's surrogate: they are not compared */
            int64_t edge = -1;
            for (int64_t t = T - 1; t >= 0 && edge < 0; --t)
                if (window_edge_ambiguous(&n, v[t * M + i]))
                    edge = t;
            backward_neuron(&n, grad_y, y, v, T, M, i, col, 1);
            for (int64_t t = 0; t < T; ++t) {
                const int64_t at = t * M + i;
                if (t <= edge)
                    mine.ambiguous++;
                else
                    note(&mine, at, grad_x[at], col[t], close_enough(grad_x[at], col[t], tol));
            }
        }
        free(col);
#pragma omp critical
        merge(&total, &mine);
    }
    return total;
}
