/* The LIF neuron of the paper's Eqs. 1-3, one neuron-step at a time, in fp32.
 * Every family calls these, so that eager, step and fused differ only in how they move data. */
#ifndef SF_LIF_H
#define SF_LIF_H

/* Eq. 1 without the input: what is left of v(t-1) after decay and the hard reset through y(t-1). */
SF_DEVICE float sf_lif_decay_reset(float v_prev, float y_prev, sf_lif_params p)
{
    return p.decay * v_prev * (1.0f - y_prev) + p.rest * y_prev;
}

/* Eq. 2, with the paper's >= . */
SF_DEVICE float sf_lif_fire(float v, sf_lif_params p)
{
    return v - p.threshold >= 0.0f ? 1.0f : 0.0f;
}

/* d(v): the surrogate derivative of the spike with respect to v. */
SF_DEVICE float sf_lif_surrogate(float v, sf_lif_params p)
{
    const float u = v - p.threshold;
    if (p.surrogate == SF_SURROGATE_SIGMOID) {
        /* alpha s (1 - s) with s = sigmoid(alpha u): finite for every u, unlike e/(1+e)^2 */
        const float s = 1.0f / (1.0f + expf(-p.alpha * u));
        return p.alpha * s * (1.0f - s);
    }
    return fabsf(u) < p.width ? 1.0f : 0.0f;
}

/* Eq. 3 with the reset path not detached: g(t) from g(t+1). The paper drops V_rest d(v), which is
 * exact only for V_rest = 0; it is kept here so that the gradient is exact for any V_rest. */
SF_DEVICE float sf_lif_grad(float g_next, float grad_y, float y, float v, sf_lif_params p)
{
    const float d = sf_lif_surrogate(v, p);
    return grad_y * d + g_next * (p.decay * (1.0f - y - v * d) + p.rest * d);
}

#endif
