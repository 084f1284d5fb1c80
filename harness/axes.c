/* The axis grammar NAME=VALUES: a table of known axes, and a parser that refuses anything it does not
 * understand with one line that names the axis and what is wrong. */
#include "axes.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The known axes and the values each accepts (integer axes only). */
typedef struct axis_def {
    const char *name;
    sf_axis_kind kind;
    int64_t min, max;
} axis_def;

static const axis_def axis_table[] = {
    {"T", SF_AXIS_INT, 1, INT64_C(1) << 31},
    {"N", SF_AXIS_INT, 1, INT64_C(1) << 40},
    {"B", SF_AXIS_INT, 1, INT64_C(1) << 31},
    /* 0: the default (the kernel's block; the family's default kernel for a knob) */
    {"block", SF_AXIS_INT, 0, 65536},
    {"vec", SF_AXIS_INT, 0, 16},
    {"npt", SF_AXIS_INT, 0, 64},
    {"unroll", SF_AXIS_INT, 0, 64},
    {"chunk", SF_AXIS_INT, 0, 64},
    {"prefetch", SF_AXIS_INT, 0, 8},
    {"stage", SF_AXIS_INT, 0, 64},
    {"threads", SF_AXIS_INT, 1, 4096},
    {"family", SF_AXIS_STRING, 0, 0},
    {"direction", SF_AXIS_STRING, 0, 0},
    {"form", SF_AXIS_STRING, 0, 0},
    {"keep", SF_AXIS_STRING, 0, 0},
    {"spikes", SF_AXIS_STRING, 0, 0},
    {"dtype", SF_AXIS_STRING, 0, 0},
};

#define AXIS_COUNT ((int)(sizeof axis_table / sizeof axis_table[0]))

static const axis_def *find_axis(const char *name)
{
    for (int i = 0; name && i < AXIS_COUNT; ++i)
        if (strcmp(axis_table[i].name, name) == 0)
            return &axis_table[i];
    return NULL;
}

int sf_axis_known(const char *name, sf_axis_kind *kind)
{
    const axis_def *def = find_axis(name);
    if (def && kind)
        *kind = def->kind;
    return def != NULL;
}

void sf_axis_free(sf_axis *a)
{
    if (!a)
        return;
    if (a->strings)
        for (int i = 0; i < a->count; ++i)
            free(a->strings[i]);
    free(a->strings);
    free(a->ints);
    a->strings = NULL;
    a->ints = NULL;
    a->count = 0;
}

/* Writes the reason into err (always NUL-terminated, kept to one line) and returns -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *c = err; *c; ++c)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return -1;
}

/* Trims white space on both sides, in place. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        ++s;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    return s;
}

/* Bounds as people write them: 2^31 rather than 2147483648. */
static const char *bound_text(int64_t v, char *buf, size_t len)
{
    if (v > 65536 && (v & (v - 1)) == 0) {
        int k = 0;
        while ((INT64_C(1) << k) != v)
            ++k;
        snprintf(buf, len, "2^%d", k);
    } else {
        snprintf(buf, len, "%lld", (long long)v);
    }
    return buf;
}

/* Parses a whole token as a decimal integer or 2^k. Returns NULL, or why the token is refused. */
static const char *parse_int(const char *tok, int64_t *out)
{
    const char *digits = tok;
    const int pow2 = tok[0] == '2' && tok[1] == '^';
    if (pow2)
        digits = tok + 2;
    else if (tok[0] == '-')
        digits = tok + 1; /* a negative number is an integer, refused later as out of range */
    if (!*digits)
        return "is not an integer (decimal or 2^k)";
    for (const char *c = digits; *c; ++c)
        if (!isdigit((unsigned char)*c))
            return "is not an integer (decimal or 2^k)";

    errno = 0;
    char *end = NULL;
    const long long v = strtoll(pow2 ? digits : tok, &end, 10);
    if (errno == ERANGE)
        return pow2 ? "has an exponent outside 0..62" : "does not fit in a 64-bit integer";
    if (*end)
        return "is not an integer (decimal or 2^k)";
    if (pow2) {
        if (v < 0 || v > 62)
            return "has an exponent outside 0..62";
        *out = INT64_C(1) << v;
    } else {
        *out = v;
    }
    return NULL;
}

/* Whether an integer lies inside the axis's range; tok is the value as given, for the message. */
static int check_range(const axis_def *def, int64_t v, const char *tok, char *err, size_t errlen)
{
    char lo[24], hi[24];
    if (v < def->min || v > def->max)
        return fail(err, errlen, "axis %s: %s is out of range %s..%s", def->name, tok,
                    bound_text(def->min, lo, sizeof lo), bound_text(def->max, hi, sizeof hi));
    return 0;
}

/* Whether a string value can be added: its length and characters, and not given before. */
static int check_string(const axis_def *def, const sf_axis *a, const char *tok, char *err, size_t errlen)
{
    if (strlen(tok) >= SF_AXIS_MAX_STRING)
        return fail(err, errlen, "axis %s: '%s' is longer than %d characters", def->name, tok, SF_AXIS_MAX_STRING - 1);
    for (const char *c = tok; *c; ++c)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '+' && *c != '-')
            return fail(err, errlen, "axis %s: '%s' has a character '%c' outside [A-Za-z0-9_+-]", def->name, tok, *c);
    for (int i = 0; i < a->count; ++i)
        if (strcmp(a->strings[i], tok) == 0)
            return fail(err, errlen, "axis %s: value '%s' is repeated", def->name, tok);
    return 0;
}

/* VALUES as a comma-separated list (the brackets already removed), split in place. */
static int parse_list(const axis_def *def, char *list, sf_axis *a, char *err, size_t errlen)
{
    if (!*list)
        return fail(err, errlen, "axis %s: empty list of values", def->name);
    size_t count = 1;
    for (const char *c = list; *c; ++c)
        count += *c == ',';
    if (count > SF_AXIS_MAX_VALUES)
        return fail(err, errlen, "axis %s: %zu values, more than %d", def->name, count, SF_AXIS_MAX_VALUES);

    if (def->kind == SF_AXIS_INT)
        a->ints = malloc(count * sizeof *a->ints);
    else
        a->strings = calloc(count, sizeof *a->strings);
    if (!a->ints && !a->strings)
        return fail(err, errlen, "axis %s: out of memory", def->name);

    char *next = list;
    while (next) {
        char *tok = next;
        char *comma = strchr(tok, ',');
        next = comma ? comma + 1 : NULL;
        if (comma)
            *comma = '\0';
        tok = trim(tok);
        if (!*tok)
            return fail(err, errlen, "axis %s: empty value in the list", def->name);

        if (def->kind == SF_AXIS_INT) {
            int64_t v = 0;
            const char *why = parse_int(tok, &v);
            if (why)
                return fail(err, errlen, "axis %s: '%s' %s", def->name, tok, why);
            if (check_range(def, v, tok, err, errlen) != 0)
                return -1;
            for (int i = 0; i < a->count; ++i)
                if (a->ints[i] == v)
                    return fail(err, errlen, "axis %s: value %s is repeated", def->name, tok);
            a->ints[a->count++] = v;
        } else {
            if (check_string(def, a, tok, err, errlen) != 0)
                return -1;
            const size_t len = strlen(tok) + 1;
            a->strings[a->count] = malloc(len);
            if (!a->strings[a->count])
                return fail(err, errlen, "axis %s: out of memory", def->name);
            memcpy(a->strings[a->count++], tok, len);
        }
    }
    return 0;
}

/* VALUES as start:stop:step or start:stop:pow2 (the brackets already removed). `shown` is the range as
 * given, for messages. */
static int parse_range(const axis_def *def, char *body, const char *shown, sf_axis *a, char *err, size_t errlen)
{
    if (def->kind != SF_AXIS_INT)
        return fail(err, errlen, "axis %s: %s: ranges apply only to integer axes; list the values", def->name, shown);

    int colons = 0;
    for (const char *c = body; *c; ++c)
        colons += *c == ':';
    if (colons != 2)
        return fail(err, errlen, "axis %s: %s: expected [start:stop:step] or [start:stop:pow2]", def->name, shown);
    char *stop_text = strchr(body, ':');
    *stop_text++ = '\0';
    char *step_text = strchr(stop_text, ':');
    *step_text++ = '\0';
    char *start_text = trim(body);
    stop_text = trim(stop_text);
    step_text = trim(step_text);

    int64_t start = 0, stop = 0, step = 0;
    const char *why = parse_int(start_text, &start);
    if (why)
        return fail(err, errlen, "axis %s: %s: start '%s' %s", def->name, shown, start_text, why);
    why = parse_int(stop_text, &stop);
    if (why)
        return fail(err, errlen, "axis %s: %s: stop '%s' %s", def->name, shown, stop_text, why);
    const int pow2 = strcmp(step_text, "pow2") == 0;
    if (!pow2) {
        why = parse_int(step_text, &step);
        if (why && isdigit((unsigned char)step_text[0])) /* a number, but a bad one */
            return fail(err, errlen, "axis %s: %s: step '%s' %s", def->name, shown, step_text, why);
        if (why)
            return fail(err, errlen, "axis %s: %s: unknown range step '%s' (a number or pow2)", def->name, shown,
                        step_text);
        if (step <= 0)
            return fail(err, errlen, "axis %s: %s: step must be > 0", def->name, shown);
    }
    if (start > stop)
        return fail(err, errlen, "axis %s: %s: start is greater than stop", def->name, shown);
    if (pow2 && start <= 0)
        return fail(err, errlen, "axis %s: %s: a pow2 range needs start > 0", def->name, shown);

    /* Count first, without overflow, so that a huge range is refused before anything is allocated. */
    uint64_t count = 1;
    if (pow2) {
        for (int64_t v = start; v <= stop / 2; v *= 2)
            ++count;
    } else {
        const uint64_t steps = ((uint64_t)stop - (uint64_t)start) / (uint64_t)step; /* stop >= start */
        count = steps >= SF_AXIS_MAX_VALUES ? (uint64_t)SF_AXIS_MAX_VALUES + 1 : steps + 1;
    }
    if (count > SF_AXIS_MAX_VALUES)
        return fail(err, errlen, "axis %s: %s: more than %d values", def->name, shown, SF_AXIS_MAX_VALUES);

    a->ints = malloc((size_t)count * sizeof *a->ints);
    if (!a->ints)
        return fail(err, errlen, "axis %s: out of memory", def->name);
    int64_t v = start;
    for (uint64_t i = 0; i < count; ++i) {
        char text[128];
        snprintf(text, sizeof text, "%s: %lld", shown, (long long)v);
        if (check_range(def, v, text, err, errlen) != 0)
            return -1;
        a->ints[a->count++] = v; /* increasing: never repeated */
        if (i + 1 < count)       /* the next value is <= stop: no overflow */
            v = pow2 ? v * 2 : v + step;
    }
    return 0;
}

/* Parses a writable copy of the spec into a. */
static int parse_spec(char *text, const char *spec, sf_axis *a, char *err, size_t errlen)
{
    char *eq = strchr(text, '=');
    if (!eq)
        return fail(err, errlen, "axis spec '%s': expected NAME=VALUES (e.g. T=[8:128:pow2])", spec);
    *eq = '\0';
    const char *name = trim(text);
    char *values = trim(eq + 1);
    if (!*name)
        return fail(err, errlen, "axis spec '%s': missing axis name before '='", spec);

    const axis_def *def = find_axis(name);
    if (!def) {
        char known[256] = "";
        size_t used = 0;
        for (int i = 0; i < AXIS_COUNT && used < sizeof known; ++i)
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", axis_table[i].name);
        return fail(err, errlen, "axis spec '%s': unknown axis '%s' (known axes: %s)", spec, name, known);
    }
    snprintf(a->name, sizeof a->name, "%s", def->name);
    a->kind = def->kind;

    if (!*values)
        return fail(err, errlen, "axis %s: no values after '='", def->name);
    if (values[0] != '[')
        return parse_list(def, values, a, err, errlen);

    const size_t len = strlen(values);
    if (values[len - 1] != ']')
        return fail(err, errlen, "axis %s: '%s' lacks a closing ']'", def->name, values);
    /* keep the range as given for messages; the copy below is split in place */
    char shown[96];
    snprintf(shown, sizeof shown, "%s", values);
    values[len - 1] = '\0';
    char *body = trim(values + 1);
    if (strchr(body, ':'))
        return parse_range(def, body, shown, a, err, errlen);
    return parse_list(def, body, a, err, errlen);
}

int sf_axis_parse(const char *spec, sf_axis *out, char *err, size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    if (!out)
        return fail(err, errlen, "axis spec: nowhere to put the result");
    memset(out, 0, sizeof *out);
    if (!spec)
        return fail(err, errlen, "axis spec: none given");

    const size_t len = strlen(spec) + 1;
    char *text = malloc(len);
    if (!text)
        return fail(err, errlen, "axis spec '%s': out of memory", spec);
    memcpy(text, spec, len);

    sf_axis a;
    memset(&a, 0, sizeof a);
    const int rc = parse_spec(text, spec, &a, err, errlen);
    free(text);
    if (rc != 0) {
        sf_axis_free(&a);
        return -1;
    }
    *out = a;
    return 0;
}
