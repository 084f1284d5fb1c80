/* Files replaced atomically: written to a temporary file beside the target, flushed to disk, then
 * renamed over it, so that a reader sees the old file or the new one, never a part. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

sf_status sf_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes, int n)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return sf_fail(SF_ERR_IO, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return sf_fail(SF_ERR_IO, "%s: %s", tmp, strerror(errno));
    int ok = 1;
    for (int i = 0; i < n && ok; ++i)
        ok = fwrite(parts[i], 1, sizes[i], f) == sizes[i];
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        const int e = errno;
        remove(tmp);
        return sf_fail(SF_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return SF_OK;
}
