/* Files as every layer above the core writes and reads them: text written atomically, JSON read with
 * the byte where it stops being JSON, and the UTC timestamp records carry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "json_util.h"
#include "spikefuse_core.h"

/* Written in place: standard output ("-"), and a path that is not a regular file (/dev/stdout, a FIFO,
 * a link): renaming a temporary file over it would replace the link or device itself. */
static sf_status write_through(const char *path, const char *text)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f)
        return sf_fail(SF_ERR_IO, "%s: %s", path, strerror(errno));
    const size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok = fflush(f) == 0 && ok;
    if (f != stdout)
        ok = fclose(f) == 0 && ok;
    return ok ? SF_OK : sf_fail(SF_ERR_IO, "%s: write failed: %s", path, strerror(errno));
}

sf_status sf_check_writable(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/x" keeps "/" */
    if (strcmp(path, "-") != 0 && access(dir, W_OK | X_OK) != 0)
        return sf_fail(SF_ERR_IO, "%s: cannot write into %s: %s", path, dir, strerror(errno));
    return SF_OK;
}

sf_status sf_write_atomic(const char *path, const char *text)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)))
        return write_through(path, text);
    const void *parts[] = {text};
    const size_t sizes[] = {strlen(text)};
    return sf_write_file_atomic(path, parts, sizes, 1);
}

sf_status sf_json_read_file(const char *path, cJSON **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_fail(SF_ERR_IO, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = size >= 0 && size < (1L << 30) ? malloc((size_t)size + 1) : NULL;
    const size_t got = text ? fread(text, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!text || got != (size_t)size) {
        free(text);
        return sf_fail(SF_ERR_IO, "%s: cannot read", path);
    }
    text[size] = '\0';
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        const long off = at && at >= text && at <= text + size ? (long)(at - text) : -1;
        free(text);
        return sf_fail(SF_ERR_IO, "%s: malformed JSON near byte %ld (truncated?)", path, off);
    }
    free(text);
    *out = root;
    return SF_OK;
}

char *sf_utc_now(char *buf, size_t n)
{
    const time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    return buf;
}
