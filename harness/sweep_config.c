/* A sweep's configuration: axes, presets (harness/presets/ and $SPIKEFUSE_PRESETS), validation. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_info.h"
#include "json_util.h"
#include "spikefuse_core.h"
#include "sweep_private.h"

#define num sf_json_num
#define str sf_json_str

#ifndef SF_SOURCE_DIR
#define SF_SOURCE_DIR "."
#endif

/* ---- configuration ------------------------------------------------------------------------- */

void sf_sweep_config_init(sf_sweep_config *c)
{
    memset(c, 0, sizeof *c);
    c->backend = SF_BACKEND_CPU;
    c->reference_family = "eager";
    c->params = sf_lif_defaults();
    c->measure = sf_measure_config_default();
    c->verify = 1;
}

void sf_sweep_config_free(sf_sweep_config *c)
{
    for (int i = 0; i < c->n_axes; ++i)
        sf_axis_free(&c->axes[i]);
    c->n_axes = 0;
}

int sf_sweep_add_axis(sf_sweep_config *c, const char *spec, char *err, size_t errlen)
{
    sf_axis a;
    if (sf_axis_parse(spec, &a, err, errlen) != 0)
        return -1;
    for (int i = 0; i < c->n_axes; ++i)
        if (strcmp(c->axes[i].name, a.name) == 0) {
            sf_axis_free(&c->axes[i]);
            c->axes[i] = a;
            return 0;
        }
    if (c->n_axes == SF_SWEEP_MAX_AXES) {
        sf_axis_free(&a);
        snprintf(err, errlen, "too many axes");
        return -1;
    }
    c->axes[c->n_axes++] = a;
    return 0;
}

const sf_axis *sweep_axis(const sf_sweep_config *c, const char *name)
{
    for (int i = 0; i < c->n_axes; ++i)
        if (strcmp(c->axes[i].name, name) == 0)
            return &c->axes[i];
    return NULL;
}

/* Where presets are looked up by name, in order: a preset in $SPIKEFUSE_PRESETS hides one of its name
 * in the source tree's. Returns how many of the two folders there are. */
static int preset_dirs(const char *dirs[2])
{
    int n = 0;
    if (getenv("SPIKEFUSE_PRESETS") && *getenv("SPIKEFUSE_PRESETS"))
        dirs[n++] = getenv("SPIKEFUSE_PRESETS");
    dirs[n++] = SF_SOURCE_DIR "/harness/presets";
    return n;
}

static int json_file(const struct dirent *e)
{
    const size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

sf_status sf_sweep_list_presets(FILE *out, int with_descriptions)
{
    const char *dirs[2];
    const int n_dirs = preset_dirs(dirs);
    int listed = 0;
    for (int d = 0; d < n_dirs; ++d) {
        struct dirent **files = NULL;
        const int n = scandir(dirs[d], &files, json_file, alphasort);
        for (int i = 0; i < n; ++i) {
            char name[256], path[4400];
            snprintf(name, sizeof name, "%.*s", (int)(strlen(files[i]->d_name) - 5), files[i]->d_name);
            int hidden = 0; /* by a preset of that name in an earlier folder, as the lookup finds it first */
            for (int e = 0; e < d && !hidden; ++e) {
                snprintf(path, sizeof path, "%s/%s", dirs[e], files[i]->d_name);
                hidden = access(path, R_OK) == 0;
            }
            if (!hidden) {
                if (with_descriptions) {
                    cJSON *root = NULL;
                    snprintf(path, sizeof path, "%s/%s", dirs[d], files[i]->d_name);
                    const char *what = sf_json_read_file(path, &root) == SF_OK ? sf_json_str(root, "description")
                                                                                 : "(not readable JSON)";
                    fprintf(out, "%-12s %s\n", name, *what ? what : "(no description)");
                    cJSON_Delete(root);
                } else {
                    fprintf(out, "%s%s", listed ? ", " : "", name);
                }
                ++listed;
            }
            free(files[i]);
        }
        free(files);
    }
    return SF_OK;
}

sf_status sf_sweep_load_preset(sf_sweep_config *c, const char *name)
{
    char path[4096];
    int found = 0;
    if (strchr(name, '/') || strstr(name, ".json")) {
        snprintf(path, sizeof path, "%s", name);
        found = access(path, R_OK) == 0;
    } else {
        const char *dirs[2];
        const int n_dirs = preset_dirs(dirs);
        for (int i = 0; i < n_dirs && !found; ++i) {
            snprintf(path, sizeof path, "%s/%s.json", dirs[i], name);
            found = access(path, R_OK) == 0;
        }
    }
    if (!found)
        return sf_fail(SF_ERR_UNKNOWN, "unknown preset '%s' (looked for %s)", name, path);
    cJSON *root = NULL;
    if (sf_json_read_file(path, &root) != SF_OK)
        return SF_ERR_IO; /* the reader said where the file stops being JSON */
    const cJSON *axes = cJSON_GetObjectItemCaseSensitive(root, "axes");
    if (!cJSON_IsArray(axes)) {
        cJSON_Delete(root);
        return sf_fail(SF_ERR_IO, "%s: not a preset (a JSON object with an \"axes\" array of strings)", path);
    }
    sf_status s = SF_OK;
    const cJSON *a;
    cJSON_ArrayForEach(a, axes)
    {
        char err[256];
        if (!cJSON_IsString(a)) {
            s = sf_fail(SF_ERR_IO, "%s: axes must be strings like \"T=[8:128:pow2]\"", path);
            break;
        }
        if (sf_sweep_add_axis(c, a->valuestring, err, sizeof err) != 0) {
            s = sf_fail(SF_ERR_IO, "%s: %s", path, err);
            break;
        }
    }
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(root, "reference_family");
    static char ref_buf[64], name_buf[64];
    if (s == SF_OK && cJSON_IsString(ref)) {
        snprintf(ref_buf, sizeof ref_buf, "%s", ref->valuestring);
        c->reference_family = ref_buf;
    }
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "name");
    snprintf(name_buf, sizeof name_buf, "%s", cJSON_IsString(nm) ? nm->valuestring : name);
    c->preset = name_buf;
    cJSON_Delete(root);
    return s;
}

/* Names in string axes must exist: a typo is an error, not a sweep of skipped states. */
sf_status sweep_validate(const sf_sweep_config *c)
{
    const sf_axis *fam = sweep_axis(c, "family"), *dir = sweep_axis(c, "direction"), *form = sweep_axis(c, "form");
    for (int i = 0; fam && i < fam->count; ++i)
        if (strcmp(fam->strings[i], SF_TUNED_FAMILY) != 0 && !sf_kernel_default(fam->strings[i], SF_FWD, NULL, c->backend))
            return sf_fail(SF_ERR_UNKNOWN, "unknown family '%s' (spikefuse list shows them)", fam->strings[i]);
    for (int i = 0; dir && i < dir->count; ++i)
        if (strcmp(dir->strings[i], "fwd") != 0 && strcmp(dir->strings[i], "fwd+bwd") != 0)
            return sf_fail(SF_ERR_UNKNOWN, "unknown direction '%s' (fwd, fwd+bwd)", dir->strings[i]);
    for (int i = 0; form && i < form->count; ++i)
        if (strcmp(form->strings[i], "train") && strcmp(form->strings[i], "infer") && strcmp(form->strings[i], "segment"))
            return sf_fail(SF_ERR_UNKNOWN, "unknown form '%s' (train, infer, segment)", form->strings[i]);
    const sf_axis *keep = sweep_axis(c, "keep");
    for (int i = 0; keep && i < keep->count; ++i)
        if (strcmp(keep->strings[i], "vtrace") && strcmp(keep->strings[i], "h") && strcmp(keep->strings[i], "recompute"))
            return sf_fail(SF_ERR_UNKNOWN, "unknown keep '%s' (vtrace, h, recompute)", keep->strings[i]);
    const sf_axis *dtype = sweep_axis(c, "dtype");
    sf_storage storage;
    for (int i = 0; dtype && i < dtype->count; ++i)
        if (sf_storage_parse(dtype->strings[i], &storage) != SF_OK)
            return SF_ERR_UNKNOWN;
    const sf_axis *spikes = sweep_axis(c, "spikes");
    for (int i = 0; spikes && i < spikes->count; ++i)
        if (!sf_spikes_known(spikes->strings[i]))
            return sf_fail(SF_ERR_UNKNOWN, "unknown spikes '%s' (f32, u8, b1)", spikes->strings[i]);
    if (!sf_kernel_default(c->reference_family, SF_FWD, NULL, c->backend))
        return sf_fail(SF_ERR_UNKNOWN, "unknown reference family '%s'", c->reference_family);
    return SF_OK;
}

