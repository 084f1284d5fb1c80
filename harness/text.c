/* The report writers' text buffer. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "spikefuse_core.h"
#include "sweep.h"

void sf_text_put(sf_text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        const int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            t->failed = 1;
            return;
        }
        if (t->s && t->n + (size_t)k < t->cap) {
            t->n += (size_t)k;
            return;
        }
        const size_t cap = (t->cap + (size_t)k + 1) * 2;
        char *g = realloc(t->s, cap);
        if (!g) {
            t->failed = 1;
            return;
        }
        t->s = g, t->cap = cap;
    }
}

sf_status sf_text_finish(sf_text *t, const char *path)
{
    sf_status s = t->failed ? sf_fail(SF_ERR_NOMEM, "%s: out of memory", path) : sf_write_atomic(path, t->s ? t->s : "");
    free(t->s);
    return s;
}

