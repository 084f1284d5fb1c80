/* The neuron's parameters, and the names of enums as the CLI and JSON spell them. */
#include <math.h>
#include <string.h>

#include "internal.h"

sf_lif_params sf_lif_defaults(void)
{
    sf_lif_params p = {0.2f, 0.3f, 0.0f, SF_SURROGATE_RECT, 0.5f, 4.0f};
    return p;
}

/* The table of neuron constants the kernels are checked under (spikefuse.h). Rows: decay, threshold,
 * rest, surrogate (each check sets its own), width, alpha. */
static const sf_lif_param_set param_sets[] = {
    {"paper", {0.2f, 0.3f, 0.0f, SF_SURROGATE_RECT, 0.5f, 4.0f}},
    {"rest", {0.9f, 0.5f, 0.1f, SF_SURROGATE_RECT, 0.3f, 2.0f}},
    {"below", {0.5f, 0.2f, -0.15f, SF_SURROGATE_RECT, 0.1f, 8.0f}},
};

const sf_lif_param_set *sf_lif_param_sets(int *count)
{
    *count = (int)(sizeof param_sets / sizeof param_sets[0]);
    return param_sets;
}

float sf_lif_spike(float v, const sf_lif_params *p)
{
    const float u = v - p->threshold; /* in fp32, as a kernel computes it */
    return u >= 0.0f ? 1.0f : 0.0f;
}

sf_status sf_lif_check(const sf_lif_params *p)
{
    if (!p)
        return sf_fail(SF_ERR_INVALID, "no neuron parameters given");
    if (!isfinite(p->decay) || !isfinite(p->threshold) || !isfinite(p->rest) || !isfinite(p->width) ||
        !isfinite(p->alpha))
        return sf_fail(SF_ERR_INVALID, "neuron parameters must be finite");
    if (p->rest >= p->threshold)
        return sf_fail(SF_ERR_INVALID, "rest (%g) must be below threshold (%g): the neuron would fire every step",
                       (double)p->rest, (double)p->threshold);
    if (p->surrogate != SF_SURROGATE_RECT && p->surrogate != SF_SURROGATE_SIGMOID)
        return sf_fail(SF_ERR_INVALID, "unknown surrogate %d", (int)p->surrogate);
    if (!(p->width > 0.0f))
        return sf_fail(SF_ERR_INVALID, "surrogate width must be > 0 (got %g)", (double)p->width);
    if (!(p->alpha > 0.0f))
        return sf_fail(SF_ERR_INVALID, "surrogate alpha must be > 0 (got %g)", (double)p->alpha);
    return SF_OK;
}

/* Name tables: index = enum value. */
static const char *const surrogate_names[] = {"rect", "sigmoid"};
static const char *const backend_names[] = {"cpu", "cuda"};
static const char *const direction_names[] = {"fwd", "bwd"};

static int lookup(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; ++i)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static const char *name_of(const char *const *names, int n, int value)
{
    return value >= 0 && value < n ? names[value] : "?";
}

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *sf_surrogate_name(sf_surrogate s) { return name_of(surrogate_names, N_OF(surrogate_names), (int)s); }
const char *sf_backend_name(sf_backend b) { return name_of(backend_names, N_OF(backend_names), (int)b); }
const char *sf_direction_name(sf_direction d) { return name_of(direction_names, N_OF(direction_names), (int)d); }

sf_status sf_surrogate_parse(const char *name, sf_surrogate *out)
{
    const int i = lookup(surrogate_names, N_OF(surrogate_names), name);
    if (i < 0)
        return sf_fail(SF_ERR_UNKNOWN, "unknown surrogate '%s' (rect, sigmoid)", name ? name : "");
    *out = (sf_surrogate)i;
    return SF_OK;
}

sf_status sf_backend_parse(const char *name, sf_backend *out)
{
    const int i = lookup(backend_names, N_OF(backend_names), name);
    if (i < 0)
        return sf_fail(SF_ERR_UNKNOWN, "unknown backend '%s' (cpu, cuda)", name ? name : "");
    *out = (sf_backend)i;
    return SF_OK;
}

sf_status sf_direction_parse(const char *name, sf_direction *out)
{
    const int i = lookup(direction_names, N_OF(direction_names), name);
    if (i < 0)
        return sf_fail(SF_ERR_UNKNOWN, "unknown direction '%s' (fwd, bwd)", name ? name : "");
    *out = (sf_direction)i;
    return SF_OK;
}
