/* A growing text buffer for the report writers, written out atomically. */
#ifndef SF_TEXT_H
#define SF_TEXT_H

#include <stddef.h>

#include "spikefuse.h"

typedef struct sf_text {
    char *s;
    size_t n, cap;
    int failed; /* out of memory: finish reports it */
} sf_text;

void sf_text_put(sf_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the text to path atomically and frees it. */
sf_status sf_text_finish(sf_text *t, const char *path);

#endif
