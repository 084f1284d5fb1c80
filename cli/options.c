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

int sf_exit_code(sf_status s)
{
    return s == SF_OK ? SF_EXIT_OK : s == SF_ERR_UNKNOWN ? SF_EXIT_USAGE : SF_EXIT_FAIL;
}

int opt_surrogate(void *dest, const char *value)
{
    if (sf_surrogate_parse(value, dest) != SF_OK)
        return fail(0, "%s", sf_last_error()), 0;
    return 1;
}

/* The row that names arg, as "name" or "name=value" (then *inline_value points past the '='); options
 * that take no value match only as "name". */
static const opt_spec *find_row(const opt_spec *rows, const char *arg, const char **inline_value)
{
    for (const opt_spec *o = rows; o->kind != OPT_END; ++o) {
        const size_t n = strlen(o->name);
        const int takes_value = o->kind != OPT_FLAG && o->kind != OPT_STOP;
        if (strncmp(arg, o->name, n) != 0)
            continue;
        if (arg[n] == '\0') {
            *inline_value = NULL;
            return o;
        }
        if (arg[n] == '=' && takes_value) {
            *inline_value = arg + n + 1;
            return o;
        }
    }
    return NULL;
}

static int check_bound(const char *name, float f, opt_bound bound)
{
    if (bound == OPT_NONNEG && !(f >= 0))
        return fail(0, "%s must be >= 0", name), 0;
    if (bound == OPT_POSITIVE && !(f > 0))
        return fail(0, "%s must be > 0", name), 0;
    if (bound == OPT_UNIT_OPEN && !(f > 0 && f < 1))
        return fail(0, "%s must be in (0, 1)", name), 0;
    return 1;
}

/* Stores one option's value; 0 after a message. */
static int store(const opt_spec *o, const char *value)
{
    float f = 0;
    switch (o->kind) {
    case OPT_STRING: *(const char **)o->dest = value; return 1;
    case OPT_INT: return parse_int(o->name, value, (int)o->lo, (int)o->hi, o->dest);
    case OPT_I64: return parse_i64(o->name, value, o->lo, o->hi, o->dest);
    case OPT_FLOAT:
        if (!parse_float(o->name, value, &f) || !check_bound(o->name, f, o->bound))
            return 0;
        *(float *)o->dest = f;
        return 1;
    case OPT_REAL:
        if (!parse_float(o->name, value, &f) || !check_bound(o->name, f, o->bound))
            return 0;
        *(double *)o->dest = f;
        return 1;
    case OPT_CALL: return o->call(o->dest, value);
    default: return 0;
    }
}

/* A row's default, as its destination holds it before parsing; "" where that is unset (0, NULL). */
static void format_default(const opt_spec *o, char *buf, size_t size)
{
    buf[0] = '\0';
    if (o->kind == OPT_STRING && *(const char *const *)o->dest)
        snprintf(buf, size, " (default %s)", *(const char *const *)o->dest);
    else if (o->kind == OPT_INT && *(const int *)o->dest)
        snprintf(buf, size, " (default %d)", *(const int *)o->dest);
    else if (o->kind == OPT_I64 && *(const int64_t *)o->dest)
        snprintf(buf, size, " (default %lld)", (long long)*(const int64_t *)o->dest);
    else if (o->kind == OPT_FLOAT && *(const float *)o->dest != 0)
        snprintf(buf, size, " (default %g)", (double)*(const float *)o->dest);
    else if (o->kind == OPT_REAL && *(const double *)o->dest != 0)
        snprintf(buf, size, " (default %g)", *(const double *)o->dest);
}

/* The command's prose, then its options from the table: one line each, rows without help left out. */
static void print_help(const opt_command *c)
{
    if (c->print_help)
        c->print_help();
    else
        fputs(c->help, stdout);
    fputs("Options:\n", stdout);
    for (const opt_spec *o = c->rows; o->kind != OPT_END; ++o) {
        if (!o->help)
            continue;
        char left[64], dflt[96];
        snprintf(left, sizeof left, "%s%s%s", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
        format_default(o, dflt, sizeof dflt);
        printf("  %-26s %s%s\n", left, o->help, dflt);
    }
}

int opt_parse(const opt_command *c, int argc, char **argv, int *exit_code)
{
    *exit_code = SF_EXIT_OK;
    for (int i = 0; i < argc; ++i)
        if (opt_flag(argv, i, "--help")) /* before parsing: the defaults shown are the table's own */
            return print_help(c), 0;
    *exit_code = SF_EXIT_USAGE;
    for (int i = 0; i < argc; ++i) {
        const char *value = NULL;
        const opt_spec *o = find_row(c->rows, argv[i], &value);
        if (!o) {
            if (c->positional && c->positional(c->ctx, argv[i]))
                continue;
            return fail(0, "%s: %s '%s' (spikefuse %s --help)", c->name, c->stray ? c->stray : "unknown option",
                        argv[i], c->name);
        }
        if (o->seen)
            *o->seen = 1;
        if (o->kind == OPT_FLAG) {
            *(int *)o->dest = o->flag_value;
            continue;
        }
        if (o->kind == OPT_STOP) {
            *(int *)o->dest = i + 1;
            break;
        }
        if (!value && i + 1 >= argc)
            return fail(0, "%s: %s needs a value", c->name, o->name);
        if (!store(o, value ? value : argv[++i]))
            return 0;
    }
    return 1;
}

int opt_one_file(void *file, const char *arg)
{
    const char **slot = file;
    if (arg[0] == '-' || *slot)
        return 0;
    *slot = arg;
    return 1;
}
