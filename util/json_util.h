/* Small readers over cJSON values that tolerate absence: a missing or mistyped field reads as "" or
 * NaN, so that callers test values rather than pointers. And the UTC timestamp every record carries. */
#ifndef SF_JSON_UTIL_H
#define SF_JSON_UTIL_H

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>

/* o[a] (or o[a][b] when b is not NULL) as a number; NaN if absent or not a number. */
static inline double sf_json_num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* o[key] as a string; "" if absent or not a string. */
static inline const char *sf_json_str(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(x) ? x->valuestring : "";
}

/* Now, as 2026-11-27T06:55:24Z. */
char *sf_utc_now(char *buf, size_t n);

#endif
