/* Whitespace tables for gnuplot, from any results file (gnuplot reads no JSON):
 *   a sweep (spikefuse.sweep):      PREFIX_<direction>_<family>.dat  T N B median_s steps_per_s speedup pct_copy_bw
 *                                   PREFIX.families (the families present), PREFIX.title
 *   the multi-GPU model:            mu.dat  k mu(r=64) mu(r=16) mu(r=1) [mu at each measured T]; mu.title
 *   a tuning cache (JSON lines):    heatmap_<direction>_T<T>_M<M>.dat  block-index kernel-index median_ms,
 *                                   and .tics, the gnuplot commands naming those indices
 * Each file is written atomically. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikefuse_core.h"
#include "json_util.h"
#include "multigpu.h"
#include "results_model.h"
#include "sweep.h"
#include "text.h"

#define num sf_json_num
#define str sf_json_str

static sf_status write_title(const char *dir, const char *name, const char *device, const char *backend)
{
    char path[4096], title[512];
    snprintf(title, sizeof title, "%s (%s backend)", device, backend);
    snprintf(path, sizeof path, "%s/%s.title", dir, name);
    return sf_write_atomic(path, title);
}

/* The reference family's cold median over this state's, both from the same sweep: the state of the
 * same problem and requested block, else of the same problem whatever its block. */
static double speedup(const sf_results *r, const sf_result_state *s, const char *ref)
{
    const sf_problem p = sf_problem_of(s);
    const sf_result_state *o = sf_results_find(r, ref, &p, SF_MATCH_LAUNCH);
    if (!o)
        o = sf_results_find(r, ref, &p, SF_MATCH_SHAPE);
    return sf_results_speedup(o, s); /* NaN: no point, also where runs of a resumed file differ */
}

/* Whether two states are of one plotted series: measured, of the same family and direction. */
static int same_series(const sf_result_state *a, const sf_result_state *b)
{
    return a->status == SF_STATE_OK && b->status == SF_STATE_OK && !strcmp(a->family, b->family) &&
           !strcmp(a->direction, b->direction);
}

/* One series' table, PREFIX_<direction>_<family>.dat; its name goes to the families list. */
static sf_status series_dat(const sf_results *r, const sf_result_state *s, const char *dir, const char *prefix,
                            sf_text *families)
{
    sf_text t = {0};
    sf_text_put(&t, "# T N B median_s paper_steps_per_s speedup pct_copy_bw  (%s, %s)\n", s->family, s->direction);
    for (int k = 0; k < r->n_states; ++k) {
        const sf_result_state *o = &r->states[k];
        if (same_series(o, s))
            sf_text_put(&t, "%.0f %.0f %.0f %.9g %.9g %.9g %.9g\n", o->T, o->N, o->B, o->cold.median_s,
                        o->metrics.paper_steps_per_s, speedup(r, o, r->settings.reference_family),
                        o->metrics.pct_copy_bw);
    }
    char path[4096], dirname[32];
    snprintf(dirname, sizeof dirname, "%s", strcmp(s->direction, "fwd") == 0 ? "fwd" : "fwdbwd");
    snprintf(path, sizeof path, "%s/%s_%s_%s.dat", dir, prefix, dirname, s->family);
    const sf_status st = sf_text_finish(&t, path);
    sf_text_put(families, "%s_%s\n", dirname, s->family);
    return st;
}

static sf_status sweep_dat(const sf_results *r, const char *dir, const char *prefix)
{
    sf_text families = {0};
    sf_status st = SF_OK;
    for (int i = 0; i < r->n_states && st == SF_OK; ++i) {
        const sf_result_state *s = &r->states[i];
        int first = s->status == SF_STATE_OK; /* write each (direction, family) once, at its first state */
        for (int k = 0; k < i && first; ++k)
            first = !same_series(&r->states[k], s);
        if (first)
            st = series_dat(r, s, dir, prefix, &families);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.families", dir, prefix);
    if (st == SF_OK)
        st = sf_text_finish(&families, path);
    else
        free(families.s);
    return st == SF_OK ? write_title(dir, prefix, r->device.name, r->device.backend) : st;
}

static sf_status multigpu_dat(const cJSON *root, const char *dir)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(model, "layers");
    sf_text t = {0};
    /* column names without spaces: the figure's key reads them as words */
    sf_text_put(&t, "# k Fig.4,r=64 Fig.4,r=16 Fig.4,r=1");
    const cJSON *row;
    cJSON_ArrayForEach(row, layers)
    sf_text_put(&t, " measured,T=%.0f,r=%.3g", num(row, "T", NULL), num(row, "r", NULL));
    sf_text_put(&t, "\n");
    for (int k = 1; k <= 8; ++k) {
        sf_text_put(&t, "%d %.9g %.9g %.9g", k, sf_mu(k, 64), sf_mu(k, 16), sf_mu(k, 1));
        cJSON_ArrayForEach(row, layers)
        sf_text_put(&t, " %.9g", sf_mu(k, num(row, "r", NULL)));
        sf_text_put(&t, "\n");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/mu.dat", dir);
    sf_status st = sf_text_finish(&t, path);
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
    return st == SF_OK ? write_title(dir, "mu", str(dev, "name"), str(dev, "backend")) : st;
}

/* Index of a value in a small set, adding it if new. */
static int index_of(char names[][64], int *n, int cap, const char *name)
{
    for (int i = 0; i < *n; ++i)
        if (strcmp(names[i], name) == 0)
            return i;
    if (*n == cap)
        return -1;
    snprintf(names[*n], 64, "%s", name);
    return (*n)++;
}

static sf_status cache_dat(const char *path, const char *dir)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sf_fail(SF_ERR_IO, "%s: cannot open", path);
    enum { CAP = 64 };
    char kernels[CAP][64], blocks[CAP][64], sizes[CAP][64], device[256] = "";
    int nk = 0, nb = 0, ns = 0;
    cJSON *evals[4096];
    int ne = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        cJSON *j = cJSON_Parse(line);
        if (!strcmp(str(j, "record"), "device"))
            snprintf(device, sizeof device, "%s (%s backend)", str(j, "device"), str(j, "backend"));
        if (!strcmp(str(j, "record"), "eval") && !strcmp(str(j, "status"), "ok") &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "default")) && ne < 4096) {
            char b[64], sz[64];
            const sf_kernel *k = sf_kernel_find(str(j, "kernel"));
            snprintf(b, sizeof b, "%.0f", num(j, "block", NULL));
            snprintf(sz, sizeof sz, "%s_T%.0f_M%.0f", k && k->direction == SF_BWD ? "bwd" : "fwd", num(j, "T", NULL),
                     num(j, "M", NULL));
            index_of(kernels, &nk, CAP, str(j, "kernel")), index_of(blocks, &nb, CAP, b), index_of(sizes, &ns, CAP, sz);
            evals[ne++] = j;
            continue;
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    sf_status st = SF_OK;
    for (int z = 0; z < ns && st == SF_OK; ++z) {
        sf_text t = {0}, tics = {0};
        int kused[CAP] = {0}, bused[CAP] = {0};
        sf_text_put(&t, "# block-index kernel-index median_ms (%s)\n", sizes[z]);
        for (int i = 0; i < ne; ++i) {
            const sf_kernel *k = sf_kernel_find(str(evals[i], "kernel"));
            char b[64], sz[64];
            snprintf(b, sizeof b, "%.0f", num(evals[i], "block", NULL));
            snprintf(sz, sizeof sz, "%s_T%.0f_M%.0f", k && k->direction == SF_BWD ? "bwd" : "fwd",
                     num(evals[i], "T", NULL), num(evals[i], "M", NULL));
            if (strcmp(sz, sizes[z]) != 0)
                continue;
            const int x = index_of(blocks, &nb, CAP, b), y = index_of(kernels, &nk, CAP, str(evals[i], "kernel"));
            if (x < 0 || y < 0) { /* past the table's CAP kernels or blocks: left out of the heat map, said */
                fprintf(stderr, "report: %s: more than %d kernels or blocks; %s block %s left out of the heat map\n",
                        path, CAP, str(evals[i], "kernel"), b);
                continue;
            }
            kused[y] = bused[x] = 1;
            sf_text_put(&t, "%d %d %.9g\n", x, y, 1e3 * num(evals[i], "median_s", NULL));
        }
        sf_text_put(&tics, "set xtics (");
        for (int x = 0, c = 0; x < nb; ++x)
            if (bused[x])
                sf_text_put(&tics, "%s\"%s\" %d", c++ ? ", " : "", blocks[x], x);
        sf_text_put(&tics, ")\nset ytics (");
        for (int y = 0, c = 0; y < nk; ++y)
            if (kused[y])
                sf_text_put(&tics, "%s\"%s\" %d", c++ ? ", " : "", kernels[y], y);
        sf_text_put(&tics, ")\ndevice = \"%s\"\nsize = \"%s\"\n", device, sizes[z]);
        char p[8192];
        snprintf(p, sizeof p, "%s/heatmap_%s.dat", dir, sizes[z]);
        st = sf_text_finish(&t, p);
        snprintf(p, sizeof p, "%s/heatmap_%s.tics", dir, sizes[z]);
        if (st == SF_OK)
            st = sf_text_finish(&tics, p);
        else
            free(tics.s);
    }
    for (int i = 0; i < ne; ++i)
        cJSON_Delete(evals[i]);
    return st;
}

sf_status sf_write_plot_data(const char *path, const char *dir)
{
    const size_t n = strlen(path);
    if (n > 6 && strcmp(path + n - 6, ".jsonl") == 0)
        return cache_dat(path, dir);
    cJSON *root = NULL;
    sf_status st = sf_json_read_file(path, &root);
    if (st != SF_OK)
        return st;
    const char *schema = str(root, "schema");
    if (!strcmp(schema, "spikefuse.multigpu")) {
        st = multigpu_dat(root, dir);
    } else if (!strcmp(schema, SF_SWEEP_SCHEMA)) {
        sf_results r;
        if ((st = sf_results_load(path, &r)) != SF_OK) { /* with the schema checks */
            cJSON_Delete(root);
            return st;
        }
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        char prefix[256];
        snprintf(prefix, sizeof prefix, "%s", base);
        char *dot = strrchr(prefix, '.');
        if (dot)
            *dot = '\0';
        st = sweep_dat(&r, dir, prefix);
        sf_results_free(&r);
    } else {
        st = sf_fail(SF_ERR_IO, "%s: not a spikefuse results file (schema '%s')", path, schema);
    }
    cJSON_Delete(root);
    return st;
}
