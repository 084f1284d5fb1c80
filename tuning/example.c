/* How another program uses spikefuse's tuned configurations: link libspikefuse, load the database
 * (or none), look a configuration up for the live device and problem, and launch with it.
 *
 *   tuning_example [--db tuning.json] [--backend cpu|cuda] [--T 128] [--M 1048576]
 *
 * Prints which kernel and launch it used, and which level of the lookup answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikefuse.h"
#include "spikefuse_tuning.h"

int main(int argc, char **argv)
{
    const char *db_path = NULL;
    sf_backend be = SF_BACKEND_CPU;
    long long T = 128, M = 1 << 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--db"))
            db_path = argv[i + 1];
        else if (!strcmp(argv[i], "--backend") && sf_backend_parse(argv[i + 1], &be) != SF_OK)
            return fprintf(stderr, "tuning_example: %s\n", sf_last_error()), 2;
        else if (!strcmp(argv[i], "--T"))
            T = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--M"))
            M = atoll(argv[i + 1]);
    }
    if (T < 1 || M < 1)
        return fprintf(stderr, "tuning_example: T and M must be >= 1\n"), 2;

    sf_tuning_db *db = NULL;
    if (db_path && sf_tuning_load(db_path, &db) != SF_OK)
        return fprintf(stderr, "tuning_example: %s\n", sf_last_error()), 1;
    sf_tuned tuned;
    if (sf_tuning_lookup(db, be, NULL, NULL, "fused", SF_FWD, "train", "f32", T, M, &tuned) != SF_OK)
        return fprintf(stderr, "tuning_example: %s\n", sf_last_error()), 1;
    sf_tuning_free(db);

    /* one fused forward layer on the looked-up config */
    const size_t bytes = (size_t)(T * M) * sizeof(float);
    void *x = NULL, *y = NULL, *v = NULL;
    float *host = malloc(bytes);
    sf_status s = host ? SF_OK : SF_ERR_NOMEM;
    if (s == SF_OK)
        s = sf_alloc(be, bytes, &x);
    if (s == SF_OK)
        s = sf_alloc(be, bytes, &y);
    if (s == SF_OK)
        s = sf_alloc(be, bytes, &v);
    if (s == SF_OK) {
        sf_fill_uniform(host, T * M, 7, -0.4f, 0.8f);
        s = sf_upload(be, x, host, bytes);
    }
    const sf_lif_params p = sf_lif_defaults();
    sf_tensors t = {T, M, x, y, v, NULL, NULL, NULL, NULL, NULL};
    if (s == SF_OK)
        s = sf_run(tuned.kernel, be, &t, &p, &tuned.launch);
    if (s == SF_OK)
        s = sf_synchronize(be);
    sf_launch used;
    if (s == SF_OK)
        s = sf_plan(tuned.kernel, be, M, &tuned.launch, &used);
    if (s == SF_OK)
        printf("ran %s on %s: T=%lld M=%lld block=%d grid=%lld; config from lookup level '%s'%s%s\n",
               tuned.kernel->name, sf_backend_name(be), T, M, used.block, (long long)used.grid,
               sf_lookup_level_name(tuned.level), tuned.device_key[0] ? ", device " : "", tuned.device_key);
    else
        fprintf(stderr, "tuning_example: %s\n", sf_last_error());
    sf_free(be, x), sf_free(be, y), sf_free(be, v);
    free(host);
    return s == SF_OK ? 0 : 1;
}
