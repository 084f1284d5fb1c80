/* The .npy format: magic "\x93NUMPY", version, header length, a Python-literal dict header, then the
 * raw array. Only what spikefuse needs is accepted; everything else is refused with a reason. */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* The value text after 'key': in the header dict, or NULL. */
static const char *dict_value(const char *header, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *at = strstr(header, quoted);
    if (!at)
        return NULL;
    at += strlen(quoted);
    while (isspace((unsigned char)*at))
        ++at;
    if (*at != ':')
        return NULL;
    ++at;
    while (isspace((unsigned char)*at))
        ++at;
    return at;
}

/* The header's dtype: 4 (float32) or, where spikes are read, 1 (uint8, 0 or 1 a spike). */
static sf_status parse_header(const char *path, const char *h, int spikes, sf_npy *out, int *elem)
{
    const char *descr = dict_value(h, "descr");
    if (!descr)
        return sf_fail(SF_ERR_IO, "%s: .npy header has no 'descr'", path);
    *elem = strncmp(descr, "'<f4'", 5) == 0 ? 4 : spikes && strncmp(descr, "'|u1'", 5) == 0 ? 1 : 0;
    if (!*elem) {
        const char *end = strchr(descr + 1, '\'');
        return sf_fail(SF_ERR_IO, "%s: dtype %.*s is not float32 ('<f4')%s; convert with .astype(np.float32)", path,
                       end ? (int)(end - descr + 1) : 8, descr, spikes ? " or, for spikes, uint8 ('|u1')" : "");
    }
    const char *fortran = dict_value(h, "fortran_order");
    if (!fortran || strncmp(fortran, "False", 5) != 0)
        return sf_fail(SF_ERR_IO, "%s: array is not in C order (fortran_order must be False)", path);
    const char *shape = dict_value(h, "shape");
    if (!shape || *shape != '(')
        return sf_fail(SF_ERR_IO, "%s: .npy header has no shape tuple", path);
    ++shape;
    out->ndim = 0;
    out->count = 1;
    for (;;) {
        while (isspace((unsigned char)*shape))
            ++shape;
        if (*shape == ')')
            break;
        if (!isdigit((unsigned char)*shape))
            return sf_fail(SF_ERR_IO, "%s: malformed shape in .npy header", path);
        if (out->ndim == SF_NPY_MAX_DIMS)
            return sf_fail(SF_ERR_IO, "%s: more than %d dimensions", path, SF_NPY_MAX_DIMS);
        errno = 0;
        char *end;
        const long long d = strtoll(shape, &end, 10);
        if (errno || d < 0)
            return sf_fail(SF_ERR_IO, "%s: dimension out of range in .npy header", path);
        out->shape[out->ndim++] = d;
        if (!sf_mul_ok(out->count, d, &out->count))
            return sf_fail(SF_ERR_IO, "%s: shape's element count overflows", path);
        shape = end;
        while (isspace((unsigned char)*shape))
            ++shape;
        if (*shape == ',')
            ++shape;
        else if (*shape != ')')
            return sf_fail(SF_ERR_IO, "%s: malformed shape in .npy header", path);
    }
    return SF_OK;
}

static sf_status read_array(const char *path, int spikes, sf_npy *out)
{
    int elem = 0;
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_fail(SF_ERR_IO, "%s: %s", path, strerror(errno));
    sf_status s = SF_OK;
    unsigned char pre[12];
    char *header = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, magic, 6) != 0) {
        s = sf_fail(SF_ERR_IO, "%s: not a .npy file (bad magic)", path);
        goto done;
    }
    size_t hlen;
    const int major = pre[6];
    if (major == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            s = sf_fail(SF_ERR_IO, "%s: truncated .npy header", path);
            goto done;
        }
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        s = sf_fail(SF_ERR_IO, "%s: unsupported .npy version %d", path, major);
        goto done;
    }
    if (hlen == 0 || hlen > (1u << 20)) {
        s = sf_fail(SF_ERR_IO, "%s: implausible .npy header length %zu", path, hlen);
        goto done;
    }
    header = malloc(hlen + 1);
    if (!header || fread(header, 1, hlen, f) != hlen) {
        s = sf_fail(SF_ERR_IO, "%s: truncated .npy header", path);
        goto done;
    }
    header[hlen] = '\0';
    if ((s = parse_header(path, header, spikes, out, &elem)) != SF_OK)
        goto done;
    /* the payload must be exactly count floats: compare with the file's size before allocating */
    const long data_at = ftell(f);
    if (fseek(f, 0, SEEK_END) != 0) {
        s = sf_fail(SF_ERR_IO, "%s: cannot seek", path);
        goto done;
    }
    const long size = ftell(f);
    int64_t want;
    if (!sf_mul_ok(out->count, elem, &want) || size - data_at != want) {
        s = sf_fail(SF_ERR_IO, "%s: payload is %ld bytes, shape says %lld elements of %d bytes", path, size - data_at,
                    (long long)out->count, elem);
        goto done;
    }
    fseek(f, data_at, SEEK_SET);
    void *buf = NULL;
    if ((s = sf_alloc(SF_BACKEND_CPU, (size_t)out->count * sizeof(float), &buf)) != SF_OK)
        goto done;
    out->data = buf;
    out->spikes_u1 = elem == 1;
    /* uint8 spikes land in the upper quarter of the float buffer, then widen from the front */
    unsigned char *raw = elem == 1 ? (unsigned char *)buf + 3 * (size_t)out->count : buf;
    if (fread(raw, (size_t)elem, (size_t)out->count, f) != (size_t)out->count) {
        s = sf_fail(SF_ERR_IO, "%s: read failed", path);
        goto done;
    }
    for (int64_t i = 0; elem == 1 && i < out->count; ++i)
        out->data[i] = (float)raw[i];
done:
    free(header);
    fclose(f);
    if (s != SF_OK)
        sf_npy_free(out);
    return s;
}

static sf_status write_array(const char *path, const char *descr, const void *data, size_t elem, int ndim,
                             const int64_t *shape)
{
    char dims[256] = "";
    int64_t count = 1;
    for (int i = 0; i < ndim; ++i) {
        char d[32];
        snprintf(d, sizeof d, "%lld%s", (long long)shape[i], ndim == 1 || i + 1 < ndim ? ", " : "");
        strncat(dims, d, sizeof dims - strlen(dims) - 1);
        count *= shape[i];
    }
    if (ndim == 1)
        dims[strlen(dims) - 1] = '\0'; /* "(n,)" */
    char header[400];
    int len = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims);
    /* pad with spaces so that the data starts on a 64-byte boundary; the header ends in '\n' */
    const int total = (10 + len + 1 + 63) / 64 * 64;
    while (10 + len + 1 < total)
        header[len++] = ' ';
    header[len++] = '\n';

    const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(len & 0xff),
                                   (unsigned char)(len >> 8)};
    const void *parts[] = {pre, header, data};
    const size_t sizes[] = {sizeof pre, (size_t)len, (size_t)count * elem};
    return sf_write_file_atomic(path, parts, sizes, 3);
}

sf_status sf_npy_write(const char *path, const float *data, int ndim, const int64_t *shape)
{
    return write_array(path, "<f4", data, 4, ndim, shape);
}

sf_status sf_npy_write_u1(const char *path, const uint8_t *data, int ndim, const int64_t *shape)
{
    return write_array(path, "|u1", data, 1, ndim, shape);
}

sf_status sf_npy_read(const char *path, sf_npy *out)
{
    return read_array(path, 0, out);
}

sf_status sf_npy_read_spikes(const char *path, sf_npy *out)
{
    return read_array(path, 1, out);
}

void sf_npy_free(sf_npy *a)
{
    sf_free(SF_BACKEND_CPU, a->data);
    a->data = NULL;
}
