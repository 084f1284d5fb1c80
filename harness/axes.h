/* The axis grammar of `spikefuse sweep -a NAME=VALUES` (and of presets).
 *
 *   NAME=VALUES, VALUES one of:
 *     a single value          128     2^20     fused
 *     a list                  8,16,32     [8,16,32]     [fwd,fwd+bwd]
 *     a linear range          [start:stop:step]   start, start+step, ... up to and including stop
 *     a power-of-two range    [start:stop:pow2]   start, 2 start, 4 start, ... <= stop
 *   Integers are decimal, or 2^k.
 *
 * Integer axes: T, N, B, block, vec, npt, unroll, chunk, prefetch, stage, threads. String axes: family, direction, form.
 * Each axis has a valid range (axes.c's table); values outside it, a repeated value, an empty list,
 * a range with start > stop or step <= 0, a pow2 range with start <= 0, or more than
 * SF_AXIS_MAX_VALUES values are errors. */
#ifndef SF_AXES_H
#define SF_AXES_H

#include <stddef.h>
#include <stdint.h>

#define SF_AXIS_MAX_VALUES 4096
#define SF_AXIS_MAX_STRING 64

typedef enum sf_axis_kind { SF_AXIS_INT, SF_AXIS_STRING } sf_axis_kind;

typedef struct sf_axis {
    char name[32];
    sf_axis_kind kind;
    int count;
    int64_t *ints;   /* kind INT: count values, in the order given */
    char **strings;  /* kind STRING: count malloc'd strings, in the order given */
} sf_axis;

/* Parses one NAME=VALUES. Returns 0 and fills *out (free with sf_axis_free), or -1 with a one-line
 * reason in err (e.g. "axis T: [8:128:pow3]: unknown range step 'pow3' (a number or pow2)"). */
int sf_axis_parse(const char *spec, sf_axis *out, char *err, size_t errlen);
void sf_axis_free(sf_axis *a);

/* Whether NAME is a known axis, and of which kind. Returns 0 if unknown. */
int sf_axis_known(const char *name, sf_axis_kind *kind);

#endif
