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
#include "sweep.h"
#include "text.h"

#define num sf_json_num
#define str sf_json_str

static void title_of(const cJSON *root, char *out, size_t n)
{
    const cJSON *dev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "devices"), 0);
    snprintf(out, n, "%s (%s backend)", str(dev, "name"), str(dev, "backend"));
}

static sf_status write_title(const char *dir, const char *name, const cJSON *root)
{
    char path[4096], title[512];
    title_of(root, title, sizeof title);
    snprintf(path, sizeof path, "%s/%s.title", dir, name);
    return sf_write_atomic(path, title);
}

/* The reference family's cold median over this state's, both from the same sweep: the state of the
 * same direction, T, N and B (of the same requested block where there is one). */
static double speedup(const cJSON *states, const cJSON *s, const char *ref)
{
    const cJSON *r, *any = NULL;
    cJSON_ArrayForEach(r, states)
    {
        if (strcmp(str(r, "status"), "ok") != 0 || strcmp(str(r, "family"), ref) != 0 || !sf_same_problem(r, s))
            continue;
        if (num(r, "block_requested", NULL) == num(s, "block_requested", NULL))
            return num(r, "cold", "median_s") / num(s, "cold", "median_s");
        if (!any)
            any = r;
    }
    return any ? num(any, "cold", "median_s") / num(s, "cold", "median_s") : NAN;
}

static sf_status sweep_dat(const cJSON *root, const char *dir, const char *prefix)
{
    const char *ref = str(cJSON_GetObjectItemCaseSensitive(root, "settings"), "reference_family");
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(root, "states"), *s, *o;
    sf_text families = {0};
    sf_status st = SF_OK;
    cJSON_ArrayForEach(s, states)
    {
        if (strcmp(str(s, "status"), "ok") != 0 || st != SF_OK)
            continue;
        int first = 1; /* write each (direction, family) once, at its first state */
        cJSON_ArrayForEach(o, states)
        {
            if (o == s)
                break;
            if (strcmp(str(o, "status"), "ok") == 0 && !strcmp(str(o, "family"), str(s, "family")) &&
                !strcmp(str(o, "direction"), str(s, "direction")))
                first = 0;
        }
        if (!first)
            continue;
        sf_text t = {0};
        sf_text_put(&t, "# T N B median_s paper_steps_per_s speedup pct_copy_bw  (%s, %s)\n", str(s, "family"),
                    str(s, "direction"));
        cJSON_ArrayForEach(o, states)
        {
            if (strcmp(str(o, "status"), "ok") == 0 && !strcmp(str(o, "family"), str(s, "family")) &&
                !strcmp(str(o, "direction"), str(s, "direction")))
                sf_text_put(&t, "%.0f %.0f %.0f %.9g %.9g %.9g %.9g\n", num(o, "T", NULL), num(o, "N", NULL),
                            num(o, "B", NULL), num(o, "cold", "median_s"), num(o, "metrics", "paper_steps_per_s"),
                            speedup(states, o, ref), num(o, "metrics", "pct_copy_bw"));
        }
        char path[4096], dirname[32];
        snprintf(dirname, sizeof dirname, "%s", strcmp(str(s, "direction"), "fwd") == 0 ? "fwd" : "fwdbwd");
        snprintf(path, sizeof path, "%s/%s_%s_%s.dat", dir, prefix, dirname, str(s, "family"));
        st = sf_text_finish(&t, path);
        sf_text_put(&families, "%s_%s\n", dirname, str(s, "family"));
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.families", dir, prefix);
    if (st == SF_OK)
        st = sf_text_finish(&families, path);
    else
        free(families.s);
    return st == SF_OK ? write_title(dir, prefix, root) : st;
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
    return st == SF_OK ? write_title(dir, "mu", root) : st;
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
        cJSON_Delete(root);
        if ((st = sf_results_read(path, &root)) != SF_OK) /* with the schema checks */
            return st;
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        char prefix[256];
        snprintf(prefix, sizeof prefix, "%s", base);
        char *dot = strrchr(prefix, '.');
        if (dot)
            *dot = '\0';
        st = sweep_dat(root, dir, prefix);
    } else {
        st = sf_fail(SF_ERR_IO, "%s: not a spikefuse results file (schema '%s')", path, schema);
    }
    cJSON_Delete(root);
    return st;
}
