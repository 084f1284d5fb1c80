/* One layer's tensor read from a .npy (layer_input.h): `run` and `verify --outputs` read theirs here. */
#include "layer_input.h"

#include <string.h>

#include "options.h"

int read_layer_npy(const char *path, const sf_npy *like, const char *like_name, int spikes, sf_npy *a, int64_t *T,
                   int64_t *M)
{
    if ((spikes ? sf_npy_read_spikes(path, a) : sf_npy_read(path, a)) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    if (a->ndim != 2 && a->ndim != 3)
        return fail(SF_EXIT_FAIL, "%s: shape must be [T, M] or [T, B, N], not %d-dimensional", path, a->ndim), 0;
    if (like && (like->ndim != a->ndim || memcmp(like->shape, a->shape, sizeof(int64_t) * (size_t)a->ndim) != 0))
        return fail(SF_EXIT_FAIL, "%s: shape differs from %s's", path, like_name), 0;
    *T = a->shape[0];
    *M = a->count / (a->shape[0] ? a->shape[0] : 1);
    if (*T < 1)
        return fail(SF_EXIT_FAIL, "%s: T = %lld; a layer needs at least one time step", path, (long long)*T), 0;
    if (*M < 1)
        return fail(SF_EXIT_FAIL, "%s: no neurons (M = 0)", path), 0;
    return 1;
}
