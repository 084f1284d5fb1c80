/* The float64 reference against values worked out by hand from Eqs. 1-3, and the checks against
 * planted errors: a comparison that cannot fail would prove nothing. */
#include <math.h>
#include <string.h>

#include "test_util.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-6)

static void test_forward_by_hand(void)
{
    sf_lif_params p = sf_lif_defaults(); /* k 0.2, V_th 0.3, V_rest 0 */
    const float x[4] = {0.2f, 0.2f, 0.5f, 0.1f};
    double y[4], v[4], last;
    sf_reference_forward(x, NULL, 4, 1, &p, y, v, &last);
    /* v1 = 0.2; v2 = 0.2*0.2 + 0.2 = 0.24; v3 = 0.2*0.24 + 0.5 = 0.548 fires; v4 = reset + 0.1 */
    const double want_v[4] = {0.2, 0.24, 0.548, 0.1}, want_y[4] = {0, 0, 1, 0};
    for (int t = 0; t < 4; ++t)
        CHECK(NEAR(v[t], want_v[t]) && y[t] == want_y[t], "t=%d: v %.9f y %g", t, v[t], y[t]);
    CHECK(NEAR(last, 0.1), "final v %.9f", last);

    /* V_rest != 0: the reset puts V_rest in at the step after a spike */
    p.rest = -0.1f;
    const float x2[2] = {0.5f, 0.1f};
    sf_reference_forward(x2, NULL, 2, 1, &p, y, v, NULL);
    /* v1 = 0.2*(-0.1) + 0.5 = 0.48 fires; v2 = 0 + (-0.1) + 0.1 = 0 */
    CHECK(NEAR(v[0], 0.48) && y[0] == 1 && NEAR(v[1], 0.0) && y[1] == 0, "rest: v %.9f %.9f", v[0], v[1]);

    /* >= : exactly at threshold fires */
    p = sf_lif_defaults();
    const float at[1] = {0.3f};
    sf_reference_forward(at, NULL, 1, 1, &p, y, v, NULL);
    CHECK(y[0] == 1, "v == V_th must fire");

    /* v_in: the previous spike is recomputed from the boundary state */
    const float vin[2] = {0.35f, 0.25f}, x3[2] = {0.0f, 0.0f};
    sf_reference_forward(x3, vin, 1, 2, &p, y, v, NULL);
    CHECK(NEAR(v[0], 0.0) && NEAR(v[1], 0.2 * 0.25), "v_in: %.9f %.9f", v[0], v[1]);
}

static void test_backward_by_hand(void)
{
    sf_lif_params p = sf_lif_defaults();
    const float y[4] = {0, 0, 1, 0}, v[4] = {0.2f, 0.24f, 0.548f, 0.1f}, gy[4] = {1, 0, 0, 1};
    double g[4];
    sf_reference_backward(gy, y, v, 4, 1, &p, g);
    /* rect: every |v - 0.3| < 0.5, d = 1.
     * g4 = 1; g3 = 0.2 * 1 * (1 - 1 - 0.548) = -0.1096; g2 = 0.2 * g3 * (1 - 0.24) = -0.0166592;
     * g1 = 1 + 0.2 * g2 * (1 - 0.2) = 0.997334528 */
    const double want[4] = {0.997334528, -0.0166592, -0.1096, 1.0};
    for (int t = 0; t < 4; ++t)
        CHECK(NEAR(g[t], want[t]), "rect t=%d: %.9f want %.9f", t, g[t], want[t]);

    /* rect window is open: |v - V_th| < width */
    const float far_v[1] = {0.8f}, one[1] = {1}, zero[1] = {0};
    sf_reference_backward(one, zero, far_v, 1, 1, &p, g);
    CHECK(g[0] == 0.0, "rect at |u| = width must be 0, got %g", g[0]);

    /* sigmoid: d(0) = alpha / 4 */
    p.surrogate = SF_SURROGATE_SIGMOID;
    const float th[1] = {0.3f};
    sf_reference_backward(one, zero, th, 1, 1, &p, g);
    CHECK(NEAR(g[0], 1.0), "sigmoid'(0) * alpha = %.9f", g[0]);
    const float big[1] = {1e6f};
    sf_reference_backward(one, zero, big, 1, 1, &p, g);
    CHECK(g[0] == 0.0 && !isnan(g[0]), "sigmoid far away: %g", g[0]);

    /* V_rest d term: one step back through a spike, V_rest = -0.1, rect d = 1:
     * g1 = gy1 d + g2 (k (1 - y1 - v1 d) + V_rest d) with gy1 = 0, g2 = 1, y1 = 1, v1 = 0.48 */
    p = sf_lif_defaults();
    p.rest = -0.1f;
    const float y2[2] = {1, 0}, v2[2] = {0.48f, 0.0f}, gy2[2] = {0, 1};
    sf_reference_backward(gy2, y2, v2, 2, 1, &p, g);
    CHECK(NEAR(g[1], 1.0) && NEAR(g[0], 0.2 * (1 - 1 - 0.48) - 0.1), "rest term: %.9f", g[0]);
}

/* The checks must catch planted errors, and excuse only true ambiguity. */
static void test_checks_fail_when_they_should(void)
{
    enum { T = 50, M = 200 };
    static float x[T * M], y[T * M], v[T * M], gy[T * M], gx[T * M];
    static double yd[T * M], vd[T * M], gd[T * M];
    const sf_lif_params p = sf_lif_defaults();
    const sf_tolerance tol = sf_tolerance_default();
    sf_fill_uniform(x, T * M, 3, -0.4f, 0.8f);
    sf_reference_forward(x, NULL, T, M, &p, yd, vd, NULL);
    for (int i = 0; i < T * M; ++i)
        y[i] = (float)yd[i], v[i] = (float)vd[i];

    sf_check_report r = sf_check_forward(x, NULL, T, M, &p, y, v, NULL, tol);
    CHECK(r.mismatches == 0 && r.compared == 2 * T * M, "clean forward: %lld mismatches of %lld",
          (long long)r.mismatches, (long long)r.compared);

    int far = -1; /* a spike far from the threshold */
    for (int i = 0; i < T * M && far < 0; ++i)
        if (fabs(vd[i] - 0.3) > 0.1)
            far = i;
    y[far] = 1.0f - y[far];
    r = sf_check_forward(x, NULL, T, M, &p, y, v, NULL, tol);
    CHECK(r.mismatches >= 1 && r.first_bad == far, "flipped spike at %d: first_bad %lld", far, (long long)r.first_bad);
    y[far] = 1.0f - y[far];

    v[1234] += 1e-3f;
    r = sf_check_forward(x, NULL, T, M, &p, y, v, NULL, tol);
    CHECK(r.mismatches == 1 && r.first_bad == 1234, "membrane off by 1e-3: %lld", (long long)r.mismatches);
    v[1234] = NAN;
    r = sf_check_forward(x, NULL, T, M, &p, y, v, NULL, tol);
    CHECK(r.mismatches == 1 && isnan(r.max_abs_err), "NaN membrane must fail");
    v[1234] = (float)vd[1234];

    /* exactly on the threshold: either spike passes, as ambiguous; half a spike does not */
    const float on[1] = {0.3f};
    float y1[1] = {0.0f}, v1[1] = {0.3f};
    r = sf_check_forward(on, NULL, 1, 1, &p, y1, v1, NULL, tol);
    CHECK(r.mismatches == 0 && r.ambiguous == 1, "on threshold, no spike: %lld", (long long)r.mismatches);
    y1[0] = 1.0f;
    r = sf_check_forward(on, NULL, 1, 1, &p, y1, v1, NULL, tol);
    CHECK(r.mismatches == 0 && r.ambiguous == 1, "on threshold, spike");
    y1[0] = 0.5f;
    r = sf_check_forward(on, NULL, 1, 1, &p, y1, v1, NULL, tol);
    CHECK(r.mismatches == 1, "a spike of 0.5 must fail");

    /* backward */
    sf_fill_uniform(gy, T * M, 4, -1.0f, 1.0f);
    sf_reference_backward(gy, y, v, T, M, &p, gd);
    for (int i = 0; i < T * M; ++i)
        gx[i] = (float)gd[i];
    r = sf_check_backward(gy, y, v, T, M, &p, gx, tol);
    CHECK(r.mismatches == 0 && r.compared + r.ambiguous == T * M, "clean backward: %lld", (long long)r.mismatches);
    gx[777] *= 1.01f;
    gx[777] += 1e-4f;
    r = sf_check_backward(gy, y, v, T, M, &p, gx, tol);
    CHECK(r.mismatches == 1 && r.first_bad == 777, "gradient off: %lld", (long long)r.mismatches);
    gx[777] = (float)gd[777];

    /* rect window edge at step 1 of a 3-step neuron: steps 0 and 1 are not compared, step 2 is */
    const float ve[3] = {0.1f, 0.8f, 0.1f}, ye[3] = {0, 1, 0}, ge[3] = {1, 1, 1};
    float gxe[3] = {123.0f, 456.0f, 1.0f};
    r = sf_check_backward(ge, ye, ve, 3, 1, &p, gxe, tol);
    CHECK(r.ambiguous == 2 && r.compared == 1 && r.mismatches == 0, "window edge: %lld ambiguous, %lld compared",
          (long long)r.ambiguous, (long long)r.compared);
}

/* The storage model: round to nearest even at the format's precision, its subnormals and its overflow,
 * checked against values worked out by hand; and a check under it passes what storing a value within
 * the fp32 tolerance gives, and nothing a wrong rounding (truncation) gives. */
static void test_storage_model(void)
{
    static const struct {
        sf_storage s;
        double x, want;
    } cases[] = {
        {SF_STORAGE_BF16, 1.0, 1.0},
        {SF_STORAGE_BF16, 1.0 + 0x1p-8, 1.0},                      /* a tie: to the even 1.0 */
        {SF_STORAGE_BF16, 1.0 + 3 * 0x1p-8, 1.0 + 0x1p-6},         /* a tie: to the even 1 + 2^-6 */
        {SF_STORAGE_BF16, 1.0 + 0x1p-8 + 0x1p-20, 1.0 + 0x1p-7}, /* above the tie */
        {SF_STORAGE_BF16, -3.14159, -3.140625},
        {SF_STORAGE_BF16, 0x1p-133 * 1.5, 0x1p-132},               /* subnormal quantum 2^-133 */
        {SF_STORAGE_BF16, 0x1p128, INFINITY},
        {SF_STORAGE_F16, 1.0 + 0x1p-11, 1.0},                      /* a tie: to the even 1.0 */
        {SF_STORAGE_F16, 1.0 + 3 * 0x1p-11, 1.0 + 0x1p-9},
        {SF_STORAGE_F16, 65504.0, 65504.0},
        {SF_STORAGE_F16, 65520.0, INFINITY},                       /* the overflow tie rounds up */
        {SF_STORAGE_F16, 65519.0, 65504.0},
        {SF_STORAGE_F16, 0x1p-25, 0.0},                            /* half the smallest subnormal: even */
        {SF_STORAGE_F16, 0x1p-24 * 1.5, 0x1p-23},
        {SF_STORAGE_F32, 1.0 + 0x1p-40, 1.0 + 0x1p-40},            /* f32: the reference's own value */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const double got = sf_storage_round(cases[i].s, cases[i].x);
        CHECK(got == cases[i].want, "%s(%.17g) = %.17g, want %.17g", sf_storage_name(cases[i].s), cases[i].x, got,
              cases[i].want);
    }
    sf_storage st;
    CHECK(sf_storage_parse("bf16", &st) == SF_OK && st == SF_STORAGE_BF16, "bf16 parses");
    CHECK(sf_storage_parse("fp8", &st) == SF_ERR_UNKNOWN && strstr(sf_last_error(), "fp8"), "fp8 is unknown");

    /* a forward stored as bf16: the reference's v rounded passes; truncated, about half the values fail */
    enum { T = 40, M = 300 };
    static float x[T * M], y[T * M], v[T * M], cut[T * M];
    static double yd[T * M], vd[T * M];
    const sf_lif_params p = sf_lif_defaults();
    sf_tolerance tol = sf_tolerance_default();
    tol.storage = SF_STORAGE_BF16;
    sf_fill_uniform(x, T * M, 5, -0.4f, 0.8f);
    sf_storage_quantize(SF_STORAGE_BF16, x, T * M);
    sf_reference_forward(x, NULL, T, M, &p, yd, vd, NULL);
    int64_t differ = 0;
    for (int i = 0; i < T * M; ++i) {
        y[i] = (float)yd[i];
        v[i] = (float)sf_storage_round(SF_STORAGE_BF16, vd[i]);
        const float f = (float)vd[i];
        uint32_t u;
        memcpy(&u, &f, sizeof u);
        u &= 0xffff0000u; /* truncated to bf16 */
        memcpy(&cut[i], &u, sizeof u);
        differ += cut[i] != v[i];
    }
    sf_check_report r = sf_check_forward(x, NULL, T, M, &p, y, v, NULL, tol);
    CHECK(r.mismatches == 0 && r.compared == 2 * T * M, "bf16-rounded v: %lld mismatches", (long long)r.mismatches);
    r = sf_check_forward(x, NULL, T, M, &p, y, cut, NULL, tol);
    CHECK(differ > T * M / 4 && r.mismatches >= differ * 9 / 10, "truncated v: %lld mismatches of %lld that differ",
          (long long)r.mismatches, (long long)differ);
    r = sf_check_forward(x, NULL, T, M, &p, y, v, NULL, sf_tolerance_default());
    CHECK(r.mismatches > T * M / 4, "bf16 values under fp32's tolerance must fail: %lld", (long long)r.mismatches);
}

/* The cost of a storage against fp32: nothing for f32, something small for bf16, less for f16. */
static void test_storage_cost(void)
{
    const sf_lif_params p = sf_lif_defaults();
    sf_storage_cost f32, bf16, f16;
    CHECK_OK(sf_storage_cost_of(SF_STORAGE_F32, 32, 4096, &p, 1, &f32));
    CHECK_OK(sf_storage_cost_of(SF_STORAGE_BF16, 32, 4096, &p, 1, &bf16));
    CHECK_OK(sf_storage_cost_of(SF_STORAGE_F16, 32, 4096, &p, 1, &f16));
    CHECK(f32.spike_flip_rate == 0 && f32.grad_x_rel_err == 0 && f32.neuron_steps == 32 * 4096, "f32 costs nothing");
    CHECK(bf16.spike_flip_rate > 0 && bf16.spike_flip_rate < 1e-2 && bf16.grad_x_rel_err > 1e-3 &&
              bf16.grad_x_rel_err < 0.2,
          "bf16: flip rate %g, grad error %g", bf16.spike_flip_rate, bf16.grad_x_rel_err);
    CHECK(f16.grad_x_rel_err < bf16.grad_x_rel_err && f16.spike_flip_rate < bf16.spike_flip_rate,
          "f16 (11 bits) costs less than bf16 (8 bits): %g, %g", f16.grad_x_rel_err, f16.spike_flip_rate);
    CHECK(sf_storage_cost_of(SF_STORAGE_BF16, 0, 4, &p, 1, &f32) == SF_ERR_INVALID, "T = 0 is refused");
}

int main(void)
{
    test_forward_by_hand();
    test_backward_by_hand();
    test_checks_fail_when_they_should();
    test_storage_model();
    test_storage_cost();
    return sf_test_summary();
}
