/* The tuning database: entries keyed by device, family, direction, form, dtype and problem bucket
 * (log2 T, log2 M, rounded), with the best measured launch configuration; and the run-time lookup with
 * its fallbacks. Schema: tuning/SCHEMA.md. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "spikefuse_core.h"
#include "json_util.h"
#include "spikefuse_tuning.h"
#include "files.h"
#include "db.h"

struct sf_tuning_db {
    cJSON *root;
};

#define str sf_json_str
#define num(o, key) sf_json_num(o, key, NULL)

int sf_log2_bucket(int64_t x)
{
    return (int)lround(log2((double)(x < 1 ? 1 : x)));
}

sf_tuning_db *sf_tuning_new(void)
{
    sf_tuning_db *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->root = cJSON_CreateObject();
    cJSON_AddStringToObject(db->root, "schema", SF_TUNING_SCHEMA);
    cJSON_AddNumberToObject(db->root, "schema_version", SF_TUNING_SCHEMA_VERSION);
    cJSON_AddArrayToObject(db->root, "entries");
    return db;
}

void sf_tuning_free(sf_tuning_db *db)
{
    if (db)
        cJSON_Delete(db->root);
    free(db);
}

cJSON *sf_tuning_entries(const sf_tuning_db *db)
{
    return db ? cJSON_GetObjectItemCaseSensitive(db->root, "entries") : NULL;
}

int sf_tuning_count(const sf_tuning_db *db)
{
    return cJSON_GetArraySize(sf_tuning_entries(db));
}

/* What every entry must hold, by type; anything else in it is ignored. */
static const char *entry_problem(const cJSON *e)
{
    static const char *strings[] = {"device_key", "arch", "backend", "family", "direction", "form", "dtype"};
    static const char *numbers[] = {"T", "M", "T_bucket", "M_bucket", "time_s"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; ++i)
        if (!str(e, strings[i])[0])
            return strings[i];
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; ++i)
        if (isnan(num(e, numbers[i])))
            return numbers[i];
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(e, "best");
    if (!str(best, "kernel")[0] || !(num(best, "block") >= 0) || !(num(best, "threads") >= 0))
        return "best (kernel, block, threads)";
    if (num(e, "T") < 1 || num(e, "M") < 1 || !(num(e, "time_s") > 0))
        return "T, M >= 1 and time_s > 0";
    return NULL;
}

sf_status sf_tuning_load(const char *path, sf_tuning_db **out)
{
    *out = NULL;
    cJSON *root = NULL;
    sf_status s = sf_json_read_file(path, &root);
    if (s != SF_OK)
        return s;
    const char *schema = str(root, "schema");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
    if (strcmp(schema, SF_TUNING_SCHEMA) != 0)
        s = sf_fail(SF_ERR_IO, "%s: not a spikefuse tuning database (schema is not \"%s\")", path, SF_TUNING_SCHEMA);
    else if (!(num(root, "schema_version") >= 1) || num(root, "schema_version") > SF_TUNING_SCHEMA_VERSION)
        s = sf_fail(SF_ERR_IO, "%s: schema_version missing or newer than this spikefuse reads (%d)", path,
                    SF_TUNING_SCHEMA_VERSION);
    else if (!cJSON_IsArray(entries))
        s = sf_fail(SF_ERR_IO, "%s: no \"entries\" array", path);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, entries)
    {
        const char *bad = s == SF_OK ? entry_problem(e) : NULL;
        if (bad) {
            s = sf_fail(SF_ERR_IO, "%s: entry %d: missing or invalid %s", path, i, bad);
            break;
        }
        ++i;
    }
    if (s != SF_OK) {
        cJSON_Delete(root);
        return s;
    }
    *out = calloc(1, sizeof **out);
    if (!*out) {
        cJSON_Delete(root);
        return sf_fail(SF_ERR_NOMEM, "no memory for the tuning database");
    }
    (*out)->root = root;
    return SF_OK;
}

sf_status sf_tuning_save(const sf_tuning_db *db, const char *path)
{
    char *text = cJSON_Print(db->root);
    if (!text)
        return sf_fail(SF_ERR_NOMEM, "cannot format the tuning database");
    const sf_status s = sf_write_atomic(path, text);
    cJSON_free(text);
    return s;
}

/* An entry's spike storage: entries written before spikes were keyed measured f32. */
static const char *entry_spikes(const cJSON *e)
{
    const char *sp = str(e, "spikes");
    return *sp ? sp : "f32";
}

static int same_key(const cJSON *a, const cJSON *b)
{
    if (strcmp(entry_spikes(a), entry_spikes(b)) != 0)
        return 0;
    static const char *keys[] = {"device_key", "backend", "family", "direction", "form", "dtype"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; ++i)
        if (strcmp(str(a, keys[i]), str(b, keys[i])) != 0)
            return 0;
    return num(a, "T_bucket") == num(b, "T_bucket") && num(a, "M_bucket") == num(b, "M_bucket");
}

sf_status sf_tuning_put(sf_tuning_db *db, cJSON *entry)
{
    const char *bad = entry_problem(entry);
    if (bad) {
        cJSON_Delete(entry);
        return sf_fail(SF_ERR_INVALID, "tuning entry lacks %s", bad);
    }
    cJSON *entries = sf_tuning_entries(db), *e;
    int i = 0;
    cJSON_ArrayForEach(e, entries)
    {
        if (same_key(e, entry)) {
            if (num(entry, "time_s") <= num(e, "time_s"))
                cJSON_ReplaceItemInArray(entries, i, entry);
            else
                cJSON_Delete(entry);
            return SF_OK;
        }
        ++i;
    }
    cJSON_AddItemToArray(entries, entry);
    return SF_OK;
}

/* The newer measurement of the same key replaces the older: a re-tune on the same device is the
 * truth now, even if slower (a driver update, a fix). */
sf_status sf_tuning_replace(sf_tuning_db *db, cJSON *entry)
{
    cJSON *entries = sf_tuning_entries(db), *e;
    int i = 0;
    cJSON_ArrayForEach(e, entries)
    {
        if (same_key(e, entry)) {
            cJSON_ReplaceItemInArray(entries, i, entry);
            return SF_OK;
        }
        ++i;
    }
    cJSON_AddItemToArray(entries, entry);
    return SF_OK;
}

sf_status sf_tuning_merge(sf_tuning_db *into, const sf_tuning_db *from)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, sf_tuning_entries(from))
    {
        const sf_status s = sf_tuning_put(into, cJSON_Duplicate(e, 1));
        if (s != SF_OK)
            return s;
    }
    return SF_OK;
}

sf_status sf_tuning_device(sf_backend b, char key[17], char arch[128])
{
    sf_device_info d;
    const sf_status s = sf_device_query(b, &d);
    if (s != SF_OK)
        return s;
    snprintf(key, 17, "%s", d.key);
    sf_device_arch(&d, arch, 128);
    return SF_OK;
}

const char *sf_lookup_level_name(sf_lookup_level l)
{
    static const char *names[] = {"override", "exact", "nearest", "arch", "family-default", "heuristic"};
    return l >= SF_LOOKUP_OVERRIDE && l <= SF_LOOKUP_HEURISTIC ? names[l] : "?";
}

/* The best entry of db for the query: `same_device` 1 = this device key, 0 = same arch, other device.
 * Returns the entry and its distance (0 = the same bucket). */
static const cJSON *search(const sf_tuning_db *db, sf_backend b, const char *key, const char *arch, int same_device,
                           const char *family, const char *direction, const char *form, const char *dtype,
                           const char *spikes, int64_t T, int64_t M, double *distance)
{
    const cJSON *best = NULL, *e;
    double best_d = INFINITY;
    const double lt = log2((double)T), lm = log2((double)M);
    cJSON_ArrayForEach(e, sf_tuning_entries(db))
    {
        const char *ek = str(e, "device_key");
        if (strcmp(str(e, "backend"), sf_backend_name(b)) != 0 || strcmp(str(e, "family"), family) != 0 ||
            strcmp(str(e, "direction"), direction) != 0 || strcmp(str(e, "form"), form) != 0 ||
            strcmp(str(e, "dtype"), dtype) != 0 || strcmp(entry_spikes(e), spikes) != 0)
            continue;
        if (same_device ? strcmp(ek, key) != 0 : (strcmp(ek, key) == 0 || strcmp(str(e, "arch"), arch) != 0))
            continue;
        const sf_kernel *k = sf_kernel_find(str(cJSON_GetObjectItemCaseSensitive(e, "best"), "kernel"));
        if (!k || strcmp(k->family, family) != 0 || strcmp(k->form, form) != 0)
            continue; /* a kernel this build does not have */
        const double d = num(e, "T_bucket") == sf_log2_bucket(T) && num(e, "M_bucket") == sf_log2_bucket(M)
                             ? 0.0
                             : hypot(log2(num(e, "T")) - lt, log2(num(e, "M")) - lm);
        if (d < best_d)
            best = e, best_d = d;
    }
    *distance = best_d;
    return best;
}

static void answer(sf_tuned *out, const cJSON *e, sf_lookup_level level)
{
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(e, "best");
    out->kernel = sf_kernel_find(str(best, "kernel"));
    out->launch.block = (int)num(best, "block");
    out->launch.cpu_threads = (int)num(best, "threads");
    out->level = level;
    out->time_s = num(e, "time_s");
    snprintf(out->device_key, sizeof out->device_key, "%s", str(e, "device_key"));
    out->T = (int64_t)num(e, "T");
    out->M = (int64_t)num(e, "M");
}

/* exact, nearest (same device), arch: the database levels; returns 1 if one answered. */
const char *sf_tuning_storage_name(const char *dtype, const char *spikes, char *buf, size_t n)
{
    const int plain = strcmp(spikes, "f32") == 0;
    snprintf(buf, n, "%s%s%s", dtype, plain ? "" : "_y", plain ? "" : spikes);
    return buf;
}

/* A storage a caller accepts: "f32" (spikes stored as f32 too) or "f32_yu8" (spikes a byte each), as
 * the kernels' names spell it. */
typedef struct storage {
    char dtype[16], spikes[16];
} storage;

/* The comma-separated storages of `list` (NULL: "f32"); 0 after a message for a malformed one. */
static int parse_storages(const char *list, storage *out, int max, int *n)
{
    *n = 0;
    for (const char *p = list ? list : "f32"; *p && *n < max;) {
        const size_t len = strcspn(p, ",");
        char one[40];
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), p);
        const char *y = strstr(one, "_y");
        storage *s = &out[(*n)++];
        snprintf(s->dtype, sizeof s->dtype, "%.*s", (int)(y ? (size_t)(y - one) : strlen(one)), one);
        snprintf(s->spikes, sizeof s->spikes, "%s", y ? y + 2 : "f32");
        if (!s->dtype[0] || !s->spikes[0] || len >= sizeof one)
            return sf_fail(SF_ERR_INVALID, "lookup: storage '%.*s' is not DTYPE or DTYPE_ySPIKES (f32, f32_yu8)",
                           (int)len, p), 0;
        p += len + (p[len] == ',');
    }
    return *n > 0;
}

/* exact, nearest (same device), arch: the database levels for one storage; returns 1 if one answered. */
static int search_levels(const sf_tuning_db *db, sf_backend b, const char *key, const char *arch, const char *family,
                         const char *direction, const char *form, const storage *st, int64_t T, int64_t M,
                         int is_override, sf_tuned *out)
{
    double d;
    const cJSON *e = search(db, b, key, arch, 1, family, direction, form, st->dtype, st->spikes, T, M, &d);
    if (e) {
        answer(out, e, is_override ? SF_LOOKUP_OVERRIDE : d == 0.0 ? SF_LOOKUP_EXACT : SF_LOOKUP_NEAREST);
        return 1;
    }
    e = search(db, b, key, arch, 0, family, direction, form, st->dtype, st->spikes, T, M, &d);
    if (e) {
        answer(out, e, is_override ? SF_LOOKUP_OVERRIDE : SF_LOOKUP_ARCH);
        return 1;
    }
    return 0;
}

/* Over every accepted storage: the answer of the best level, and of those the fastest measured. */
static int search_storages(const sf_tuning_db *db, sf_backend b, const char *key, const char *arch,
                           const char *family, const char *direction, const char *form, const storage *st, int n,
                           int64_t T, int64_t M, int is_override, sf_tuned *out)
{
    int found = 0;
    for (int i = 0; i < n; ++i) {
        sf_tuned t;
        memset(&t, 0, sizeof t);
        if (!search_levels(db, b, key, arch, family, direction, form, &st[i], T, M, is_override, &t))
            continue;
        if (!found || t.level < out->level || (t.level == out->level && t.time_s < out->time_s))
            *out = t;
        found = 1;
    }
    return found;
}

sf_status sf_tuning_lookup(const sf_tuning_db *db, sf_backend b, const char *device_key, const char *arch,
                           const char *family, sf_direction d, const char *form, const char *dtype, int64_t T,
                           int64_t M, sf_tuned *out)
{
    memset(out, 0, sizeof *out);
    if (!form)
        form = d == SF_FWD ? "train" : "grad";
    storage st[8];
    int n_st;
    if (!parse_storages(dtype, st, 8, &n_st))
        return SF_ERR_INVALID;
    /* the fallback: the family's default kernel at the first accepted storage that has it */
    const sf_kernel *dflt = family ? sf_kernel_default(family, d, form, b) : NULL, *fallback = NULL;
    if (!dflt)
        return sf_fail(SF_ERR_INVALID, "no kernel of family '%s', %s, form %s", family ? family : "", sf_direction_name(d),
                       form);
    for (int i = 0; i < n_st && !fallback; ++i)
        fallback = sf_kernel_with_storage(dflt, st[i].dtype, st[i].spikes);
    if (!fallback)
        return sf_fail(SF_ERR_INVALID, "lookup: no %s kernel of family '%s' stores %s", form, family, dtype);
    if (T < 1 || M < 1)
        return sf_fail(SF_ERR_INVALID, "lookup: T and M must be >= 1");
    char live_key[17] = "", live_arch[128] = "";
    if ((!device_key || !arch) && sf_tuning_device(b, live_key, live_arch) != SF_OK)
        live_key[0] = live_arch[0] = '\0'; /* no live device: only the fallbacks can answer */
    const char *key = device_key ? device_key : live_key, *ar = arch ? arch : live_arch;
    const char *dir = sf_direction_name(d);

    const char *override = getenv("SPIKEFUSE_TUNING_OVERRIDE");
    if (override && *override) {
        sf_tuning_db *o = NULL;
        sf_status s = sf_tuning_load(override, &o);
        if (s != SF_OK)
            return sf_fail(s, "SPIKEFUSE_TUNING_OVERRIDE: %s", sf_last_error());
        const int found = search_storages(o, b, key, ar, family, dir, form, st, n_st, T, M, 1, out);
        sf_tuning_free(o);
        if (found)
            return SF_OK;
    }
    if (db && search_storages(db, b, key, ar, family, dir, form, st, n_st, T, M, 0, out))
        return SF_OK;
    out->kernel = fallback;
    out->launch.block = fallback->default_block;
    out->level = fallback->default_block ? SF_LOOKUP_FAMILY_DEFAULT : SF_LOOKUP_HEURISTIC;
    return SF_OK;
}

sf_status sf_tuning_emit_header(const sf_tuning_db *db, const char *path)
{
    size_t cap = 1 << 16, n = 0;
    char *t = malloc(cap);
    if (!t)
        return sf_fail(SF_ERR_NOMEM, "no memory");
#define PUT(...)                                                                    \
    do {                                                                            \
        int k_ = snprintf(t + n, cap - n, __VA_ARGS__);                             \
        while (k_ >= 0 && n + (size_t)k_ >= cap) {                                  \
            char *g_ = realloc(t, cap *= 2);                                        \
            if (!g_) {                                                              \
                free(t);                                                            \
                return sf_fail(SF_ERR_NOMEM, "no memory");                          \
            }                                                                       \
            t = g_;                                                                 \
            k_ = snprintf(t + n, cap - n, __VA_ARGS__);                             \
        }                                                                           \
        n += (size_t)k_;                                                            \
    } while (0)
    PUT("/* Generated by `spikefuse tune --emit-header` from a spikefuse tuning database. Do not edit.\n"
        " * sf_tuned_find(): the entry of this device and problem bucket, else the nearest problem on this\n"
        " * device, else NULL (then use the family's default kernel). */\n"
        "#ifndef SPIKEFUSE_TUNED_TABLE_H\n#define SPIKEFUSE_TUNED_TABLE_H\n\n#include <math.h>\n#include <string.h>\n\n"
        "typedef struct sf_tuned_entry {\n    const char *device_key, *arch, *backend, *family, *direction, *form, *dtype;\n"
        "    long long T, M;\n    const char *kernel;\n    int block, cpu_threads;\n    double time_s;\n} sf_tuned_entry;\n\n"
        "static const sf_tuned_entry sf_tuned_table[] = {\n");
    const cJSON *e;
    int count = 0;
    cJSON_ArrayForEach(e, sf_tuning_entries(db))
    {
        const cJSON *best = cJSON_GetObjectItemCaseSensitive(e, "best");
        char stored[48];
        sf_tuning_storage_name(str(e, "dtype"), entry_spikes(e), stored, sizeof stored);
        PUT("    {\"%s\", \"%s\", \"%s\", \"%s\", \"%s\", \"%s\", \"%s\", %.0f, %.0f, \"%s\", %.0f, %.0f, %.9g},\n",
            str(e, "device_key"), str(e, "arch"), str(e, "backend"), str(e, "family"), str(e, "direction"),
            str(e, "form"), stored, num(e, "T"), num(e, "M"), str(best, "kernel"), num(best, "block"),
            num(best, "threads"), num(e, "time_s"));
        ++count;
    }
    if (!count)
        PUT("    {0},\n");
    PUT("};\n\nstatic const sf_tuned_entry *sf_tuned_find(const char *device_key, const char *family,\n"
        "                                             const char *direction, const char *form, const char *dtype,\n"
        "                                             long long T, long long M)\n{\n"
        "    const sf_tuned_entry *best = NULL;\n    double best_d = 1e300;\n"
        "    for (size_t i = 0; i < sizeof sf_tuned_table / sizeof sf_tuned_table[0]; ++i) {\n"
        "        const sf_tuned_entry *e = &sf_tuned_table[i];\n"
        "        if (!e->device_key || strcmp(e->device_key, device_key) || strcmp(e->family, family) ||\n"
        "            strcmp(e->direction, direction) || strcmp(e->form, form) || strcmp(e->dtype, dtype))\n"
        "            continue;\n"
        "        const double d = hypot(log2((double)e->T) - log2((double)T), log2((double)e->M) - log2((double)M));\n"
        "        if (d < best_d)\n            best = e, best_d = d;\n    }\n    return best;\n}\n\n#endif\n");
#undef PUT
    const sf_status s = sf_write_atomic(path, t);
    free(t);
    return s;
}
