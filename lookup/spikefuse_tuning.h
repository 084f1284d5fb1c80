/* spikefuse tuning: launch configurations measured per device by `spikefuse tune`, kept in a JSON
 * database (schema spikefuse.tuning/1, see tuning/SCHEMA.md), and looked up at run time.
 *
 *   sf_tuning_db *db;
 *   if (sf_tuning_load("tuning.json", &db) != SF_OK) ...;          // or NULL: fallbacks only
 *   sf_tuned t;
 *   sf_tuning_lookup(db, SF_BACKEND_CUDA, NULL, NULL, "fused", SF_FWD, "train", "f32", T, M, &t);
 *   sf_run(t.kernel, SF_BACKEND_CUDA, &tensors, &params, &t.launch);
 *   printf("answered by %s\n", sf_lookup_level_name(t.level));
 */
#ifndef SPIKEFUSE_TUNING_H
#define SPIKEFUSE_TUNING_H

#include "spikefuse.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_tuning_db sf_tuning_db;

/* Which rule answered a lookup, from the most to the least specific. */
typedef enum sf_lookup_level {
    SF_LOOKUP_OVERRIDE = 0,   /* the database named by $SPIKEFUSE_TUNING_OVERRIDE had an entry */
    SF_LOOKUP_EXACT,          /* this device, this problem bucket (log2 T and log2 M, rounded) */
    SF_LOOKUP_NEAREST,        /* this device, the nearest problem (distance over log2 T and log2 M) */
    SF_LOOKUP_ARCH,           /* another device of the same architecture (compute capability, CPU model) */
    SF_LOOKUP_FAMILY_DEFAULT, /* the family's default kernel with the block its table row gives */
    SF_LOOKUP_HEURISTIC,      /* the default kernel, block from the occupancy API (CPU: 256) */
} sf_lookup_level;

typedef struct sf_tuned {
    const sf_kernel *kernel;
    sf_launch launch;      /* block 0 = the backend's heuristic; cpu_threads 0 = OpenMP's default */
    sf_lookup_level level;
    double time_s;         /* the answering entry's measured time, 0 for the fallbacks */
    char device_key[17];   /* the answering entry's device, "" for the fallbacks */
    int64_t T, M;          /* the answering entry's problem, 0 for the fallbacks */
} sf_tuned;

/* Reads and checks a database: a malformed, truncated or foreign file is SF_ERR_IO with a reason. */
sf_status sf_tuning_load(const char *path, sf_tuning_db **out);
sf_tuning_db *sf_tuning_new(void);
void sf_tuning_free(sf_tuning_db *db);
int sf_tuning_count(const sf_tuning_db *db);
/* Entries of `from` join `into`; where both have the same key, the faster measurement wins. */
sf_status sf_tuning_merge(sf_tuning_db *into, const sf_tuning_db *from);
/* Writes atomically (temporary file, then rename). */
sf_status sf_tuning_save(const sf_tuning_db *db, const char *path);

/* The live device's key and architecture ("sm_90", or the CPU model), as the database records them. */
sf_status sf_tuning_device(sf_backend b, char key[17], char arch[128]);

/* Looks a configuration up. db may be NULL (only the override and the fallbacks answer); device_key
 * and arch NULL mean the live device of backend b. dtype names the storage the caller accepts, as the
 * kernels' names spell it: "f32" (or NULL), "f32_yu8" (spikes stored a byte each), or several,
 * comma-separated ("f32,f32_yu8"): then the best level's fastest entry among them answers. Never fails
 * for a registered family and storage: the last levels (the default kernel at the first accepted
 * storage that has it) always answer. */
sf_status sf_tuning_lookup(const sf_tuning_db *db, sf_backend b, const char *device_key, const char *arch,
                           const char *family, sf_direction d, const char *form, const char *dtype, int64_t T,
                           int64_t M, sf_tuned *out);
const char *sf_lookup_level_name(sf_lookup_level l);
/* A storage as the kernels' names and the lookup spell it: the dtype, then "_y" and the spike storage
 * where that is not f32 ("f32", "f32_yu8"); returns buf. */
const char *sf_tuning_storage_name(const char *dtype, const char *spikes, char *buf, size_t n);

/* Writes a C header with the database's entries compiled in as a table, and a lookup function over it
 * (exact bucket, then nearest on the same device), for code that cannot read JSON at run time. */
sf_status sf_tuning_emit_header(const sf_tuning_db *db, const char *path);

#ifdef __cplusplus
}
#endif
#endif
