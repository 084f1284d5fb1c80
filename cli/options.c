#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("spikefuse: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int sf_exit_code(sf_status s)
{
    return s == SF_OK ? SF_EXIT_OK : s == SF_ERR_UNKNOWN ? SF_EXIT_USAGE : SF_EXIT_FAIL;
}

int opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fail(SF_EXIT_USAGE, "%s needs a value", name);
        exit(SF_EXIT_USAGE);
    }
    *value = argv[++*i];
    return 1;
}

int opt_flag(char **argv, int i, const char *name)
{
    return strcmp(argv[i], name) == 0;
}

int parse_i64(const char *name, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) {
        fail(SF_EXIT_USAGE, "%s: '%s' is not an integer in %lld..%lld", name, s, (long long)lo, (long long)hi);
        return 0;
    }
    *out = v;
    return 1;
}

int parse_int(const char *name, const char *s, int lo, int hi, int *out)
{
    int64_t v;
    if (!parse_i64(name, s, lo, hi, &v))
        return 0;
    *out = (int)v;
    return 1;
}

int parse_float(const char *name, const char *s, float *out)
{
    char *end;
    errno = 0;
    const float v = strtof(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v)) {
        fail(SF_EXIT_USAGE, "%s: '%s' is not a finite number", name, s);
        return 0;
    }
    *out = v;
    return 1;
}

int opt_lif(int argc, char **argv, int *i, sf_lif_params *p, int *matched)
{
    const char *v;
    *matched = 1;
    if (opt_value(argc, argv, i, "--decay", &v))
        return parse_float("--decay", v, &p->decay);
    if (opt_value(argc, argv, i, "--threshold", &v))
        return parse_float("--threshold", v, &p->threshold);
    if (opt_value(argc, argv, i, "--rest", &v))
        return parse_float("--rest", v, &p->rest);
    if (opt_value(argc, argv, i, "--width", &v))
        return parse_float("--width", v, &p->width);
    if (opt_value(argc, argv, i, "--alpha", &v))
        return parse_float("--alpha", v, &p->alpha);
    if (opt_value(argc, argv, i, "--surrogate", &v)) {
        if (sf_surrogate_parse(v, &p->surrogate) != SF_OK)
            return fail(0, "%s", sf_last_error()), 0;
        return 1;
    }
    *matched = 0;
    return 1;
}

int opt_launch(int argc, char **argv, int *i, sf_launch *l, int *matched)
{
    const char *v;
    *matched = 1;
    if (opt_value(argc, argv, i, "--block", &v))
        return parse_int("--block", v, 1, 65536, &l->block);
    if (opt_value(argc, argv, i, "--grid", &v))
        return parse_i64("--grid", v, 1, 2147483647LL, &l->grid);
    if (opt_value(argc, argv, i, "--threads", &v))
        return parse_int("--threads", v, 1, 4096, &l->cpu_threads);
    *matched = 0;
    return 1;
}

int opt_backend_usable(const char *cmd, const char *name, sf_backend *out)
{
    if (strcmp(name, "auto") == 0)
        *out = sf_backend_available(SF_BACKEND_CUDA) == SF_OK ? SF_BACKEND_CUDA : SF_BACKEND_CPU;
    else if (sf_backend_parse(name, out) != SF_OK)
        return fail(SF_EXIT_USAGE, "%s: %s", cmd, sf_last_error());
    if (sf_backend_available(*out) != SF_OK)
        return fail(SF_EXIT_FAIL, "%s: backend %s: %s", cmd, sf_backend_name(*out), sf_last_error());
    return SF_EXIT_OK;
}

int opt_stop_rule(int argc, char **argv, int *i, sf_stop_rule *r, double *hot_time, int *matched)
{
    const struct {
        const char *name;
        double *target;
    } reals[] = {
        {"--min-time", &r->min_time}, {"--max-noise", &r->max_noise}, {"--timeout", &r->timeout}, {"--hot-time", hot_time},
    };
    const char *v;
    *matched = 1;
    if (opt_value(argc, argv, i, "--min-samples", &v))
        return parse_int("--min-samples", v, 1, 1000000, &r->min_samples);
    if (opt_value(argc, argv, i, "--max-samples", &v))
        return parse_i64("--max-samples", v, 0, INT64_MAX, &r->max_samples);
    for (size_t k = 0; k < sizeof reals / sizeof reals[0]; ++k) {
        if (!reals[k].target || !opt_value(argc, argv, i, reals[k].name, &v))
            continue;
        float f = 0;
        if (!parse_float(reals[k].name, v, &f))
            return 0;
        if (f < 0)
            return fail(0, "%s must be >= 0", reals[k].name), 0;
        *reals[k].target = f;
        return 1;
    }
    *matched = 0;
    return 1;
}
