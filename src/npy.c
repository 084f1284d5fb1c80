/* The .npy format: magic "\x93NUMPY", version, header length, a Python-literal dict header, then the
 * raw array. Only what spikefuse needs is accepted; everything else is refused with a reason. The
 * 16-bit types widen as the core's downloads do (kernels/float16_cpu.h): exactly. */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "float16_cpu.h"
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

/* The dtypes read and written: '<f4' always taken, the others where the caller's flag says. */
static const struct dtype {
    const char *descr, *name;
    int elem;
    unsigned flag;
} dtypes[] = {
    {"<f4", "float32", 4, 0},
    {"<f2", "float16", 2, SF_NPY_F2},
    {"<u2", "bf16 bits", 2, SF_NPY_BF16},
    {"|u1", "uint8", 1, SF_NPY_U1},
};
enum { NDTYPES = sizeof dtypes / sizeof dtypes[0] };

static const struct dtype *dtype_of(const char *descr)
{
    for (int i = 0; i < NDTYPES; ++i)
        if (strcmp(dtypes[i].descr, descr) == 0)
            return &dtypes[i];
    return NULL;
}

const char *sf_npy_dtype_name(const char *descr)
{
    const struct dtype *d = dtype_of(descr);
    return d ? d->name : NULL;
}

/* The header's dtype, if accepted; else a message naming those that are. */
static sf_status parse_descr(const char *path, const char *h, unsigned accept, const struct dtype **out)
{
    const char *descr = dict_value(h, "descr");
    if (!descr)
        return sf_fail(SF_ERR_IO, "%s: .npy header has no 'descr'", path);
    for (int i = 0; i < NDTYPES; ++i) {
        char quoted[8];
        snprintf(quoted, sizeof quoted, "'%s'", dtypes[i].descr);
        if ((!dtypes[i].flag || (accept & dtypes[i].flag)) && strncmp(descr, quoted, 5) == 0) {
            *out = &dtypes[i];
            return SF_OK;
        }
    }
    char taken[160] = "";
    int n = 0;
    for (int i = 1; i < NDTYPES; ++i)
        n += (accept & dtypes[i].flag) != 0;
    for (int i = 0, k = 0; i < NDTYPES; ++i) {
        if (dtypes[i].flag && !(accept & dtypes[i].flag))
            continue;
        char one[40];
        snprintf(one, sizeof one, "%s%s ('%s')", k == 0 ? "" : k == n ? " or " : ", ", dtypes[i].name,
                 dtypes[i].descr);
        strncat(taken, one, sizeof taken - strlen(taken) - 1);
        ++k;
    }
    const char *end = strchr(descr + 1, '\'');
    return sf_fail(SF_ERR_IO, "%s: dtype %.*s is not %s; convert with .astype(np.float32)", path,
                   end ? (int)(end - descr + 1) : 8, descr, taken);
}

/* The header's dtype (one `accept` takes, or '<f4') and shape. */
static sf_status parse_header(const char *path, const char *h, unsigned accept, sf_npy *out, int *elem)
{
    const struct dtype *d = NULL;
    const sf_status s = parse_descr(path, h, accept, &d);
    if (s != SF_OK)
        return s;
    *elem = d->elem;
    snprintf(out->descr, sizeof out->descr, "%s", d->descr);
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

/* The magic, version and header dict, into a malloc'd string; f is left at the payload. */
static sf_status read_header(FILE *f, const char *path, char **header)
{
    unsigned char pre[12];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, magic, 6) != 0)
        return sf_fail(SF_ERR_IO, "%s: not a .npy file (bad magic)", path);
    size_t hlen;
    const int major = pre[6];
    if (major == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2)
            return sf_fail(SF_ERR_IO, "%s: truncated .npy header", path);
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        return sf_fail(SF_ERR_IO, "%s: unsupported .npy version %d", path, major);
    }
    if (hlen == 0 || hlen > (1u << 20))
        return sf_fail(SF_ERR_IO, "%s: implausible .npy header length %zu", path, hlen);
    *header = malloc(hlen + 1);
    if (!*header || fread(*header, 1, hlen, f) != hlen)
        return sf_fail(SF_ERR_IO, "%s: truncated .npy header", path);
    (*header)[hlen] = '\0';
    return SF_OK;
}

/* Widens n raw elements of descr, which lie at the end of the float buffer dst, to floats from the
 * front: element i is read before float i overwrites it and no later one, so the loops stay in order. */
static void widen_in_place(float *dst, const char *descr, int64_t n)
{
    const int elem = dtype_of(descr)->elem;
    const unsigned char *raw = (const unsigned char *)dst + (size_t)(4 - elem) * (size_t)n;
    if (elem == 1) {
        for (int64_t i = 0; i < n; ++i)
            dst[i] = (float)raw[i];
    } else if (elem == 2) {
        const int f16 = strcmp(descr, "<f2") == 0;
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            memcpy(&h, raw + 2 * i, sizeof h);
            dst[i] = f16 ? sf_widen_f16(h) : sf_widen_bf16(h);
        }
    }
}

/* The payload: exactly count elements (checked against the file's size before allocating), widened. */
static sf_status read_payload(FILE *f, const char *path, int elem, sf_npy *out)
{
    const long data_at = ftell(f);
    if (fseek(f, 0, SEEK_END) != 0)
        return sf_fail(SF_ERR_IO, "%s: cannot seek", path);
    const long size = ftell(f);
    int64_t want;
    if (!sf_mul_ok(out->count, elem, &want) || size - data_at != want)
        return sf_fail(SF_ERR_IO, "%s: payload is %ld bytes, shape says %lld elements of %d bytes", path,
                       size - data_at, (long long)out->count, elem);
    fseek(f, data_at, SEEK_SET);
    void *buf = NULL;
    sf_status s = sf_alloc(SF_BACKEND_CPU, (size_t)out->count * sizeof(float), &buf);
    if (s != SF_OK)
        return s;
    out->data = buf;
    /* a narrower type lands at the end of the float buffer, then widens from the front */
    unsigned char *raw = (unsigned char *)buf + (size_t)(4 - elem) * (size_t)out->count;
    if (fread(raw, (size_t)elem, (size_t)out->count, f) != (size_t)out->count)
        return sf_fail(SF_ERR_IO, "%s: read failed", path);
    widen_in_place(out->data, out->descr, out->count);
    return SF_OK;
}

sf_status sf_npy_read_as(const char *path, unsigned accept, sf_npy *out)
{
    int elem = 0;
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_fail(SF_ERR_IO, "%s: %s", path, strerror(errno));
    char *header = NULL;
    sf_status s = read_header(f, path, &header);
    if (s == SF_OK)
        s = parse_header(path, header, accept, out, &elem);
    if (s == SF_OK)
        s = read_payload(f, path, elem, out);
    free(header);
    fclose(f);
    if (s != SF_OK)
        sf_npy_free(out);
    return s;
}

sf_status sf_npy_write_as(const char *path, const char *descr, const void *data, int ndim, const int64_t *shape)
{
    const struct dtype *d = dtype_of(descr);
    if (!d)
        return sf_fail(SF_ERR_INVALID, "%s: cannot write dtype '%s' (<f4, <f2, <u2 or |u1)", path, descr);
    char dims[256] = "";
    int64_t count = 1;
    for (int i = 0; i < ndim; ++i) {
        char one[32];
        snprintf(one, sizeof one, "%lld%s", (long long)shape[i], ndim == 1 || i + 1 < ndim ? ", " : "");
        strncat(dims, one, sizeof dims - strlen(dims) - 1);
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
    const size_t sizes[] = {sizeof pre, (size_t)len, (size_t)count * (size_t)d->elem};
    return sf_write_file_atomic(path, parts, sizes, 3);
}

sf_status sf_npy_write(const char *path, const float *data, int ndim, const int64_t *shape)
{
    return sf_npy_write_as(path, "<f4", data, ndim, shape);
}

sf_status sf_npy_write_u1(const char *path, const uint8_t *data, int ndim, const int64_t *shape)
{
    return sf_npy_write_as(path, "|u1", data, ndim, shape);
}

sf_status sf_npy_read(const char *path, sf_npy *out)
{
    return sf_npy_read_as(path, 0, out);
}

sf_status sf_npy_read_spikes(const char *path, sf_npy *out)
{
    return sf_npy_read_as(path, SF_NPY_U1, out);
}

void sf_npy_free(sf_npy *a)
{
    sf_free(SF_BACKEND_CPU, a->data);
    a->data = NULL;
}
