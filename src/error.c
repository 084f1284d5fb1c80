/* Status names and the per-thread last-error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[512];

const char *sf_status_name(sf_status s)
{
    switch (s) {
    case SF_OK: return "ok";
    case SF_ERR_INVALID: return "invalid argument";
    case SF_ERR_NOMEM: return "out of memory";
    case SF_ERR_NODEVICE: return "no device";
    case SF_ERR_CUDA: return "CUDA error";
    case SF_ERR_IO: return "I/O error";
    case SF_ERR_UNKNOWN: return "unknown name";
    }
    return "unknown status";
}

const char *sf_last_error(void)
{
    return last_error[0] ? last_error : "no error recorded";
}

sf_status sf_fail(sf_status s, const char *fmt, ...)
{
    /* formatted aside first: the arguments may include sf_last_error() itself */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return s;
}

int sf_mul_ok(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0 || (a != 0 && b > INT64_MAX / a)) {
        *out = 0;
        return 0;
    }
    *out = a * b;
    return 1;
}
