/* spikefuse run: one kernel on .npy inputs, outputs written as .npy. How users check spikefuse
 * against their own framework. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "layer_input.h"
#include "options.h"

static const char help[] =
    "usage: spikefuse run (--family F | --kernel NAME) [--direction fwd|bwd] [--form train|infer|segment]\n"
    "                     [--backend cpu|cuda] --out-dir DIR\n"
    "                     fwd: --input x.npy [--v-in v0.npy]   bwd: --grad-y gy.npy --spikes y.npy --v v.npy\n"
    "Inputs are float32 C-order .npy of shape [T, M] or [T, B, N] (time-major); v-in is [M] or [B, N].\n"
    "Writes, with the input's shape: fwd y.npy and v.npy (the membrane trace, before reset) and, for\n"
    "infer and segment, v_out.npy (final membrane); bwd gx.npy (dL/dx).\n" SF_LIF_OPTIONS_HELP SF_LAUNCH_OPTIONS_HELP;

/* A loaded input: the file's array, checked to be [T, M...]. */
typedef struct input {
    const char *option;
    const char *path;
    sf_npy a;
} input;

static int load(input *in, int64_t *T, int64_t *M, const sf_npy *like)
{
    if (!in->path)
        return fail(SF_EXIT_USAGE, "run: %s is required", in->option), 0;
    return read_layer_npy(in->path, like, "the first input", &in->a, T, M);
}

/* Everything a run holds, released in one place. */
typedef struct run_state {
    sf_backend be;
    input x, gy, y, v, v_in;
    void *dev[8];
    float *out[4];
} run_state;

static void release(run_state *r)
{
    input *ins[] = {&r->x, &r->gy, &r->y, &r->v, &r->v_in};
    for (size_t i = 0; i < sizeof ins / sizeof ins[0]; ++i)
        sf_npy_free(&ins[i]->a);
    for (size_t i = 0; i < sizeof r->dev / sizeof r->dev[0]; ++i)
        sf_free(r->be, r->dev[i]);
    for (size_t i = 0; i < sizeof r->out / sizeof r->out[0]; ++i)
        sf_free(SF_BACKEND_CPU, r->out[i]);
}

/* A backend buffer of `count` floats, filled from host data if given. Registered for release. */
static void *device_buffer(run_state *r, int slot, const float *host, int64_t count, sf_status *s)
{
    if (*s != SF_OK)
        return NULL;
    *s = sf_alloc(r->be, (size_t)count * sizeof(float), &r->dev[slot]);
    if (*s == SF_OK && host)
        *s = sf_upload(r->be, r->dev[slot], host, (size_t)count * sizeof(float));
    return r->dev[slot];
}

static int write_output(run_state *r, int slot, const void *dev, int64_t count, const char *dir, const char *name,
                        int ndim, const int64_t *shape)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sf_status s = sf_alloc(SF_BACKEND_CPU, (size_t)count * sizeof(float), (void **)&r->out[slot]);
    if (s == SF_OK)
        s = sf_download(r->be, r->out[slot], dev, (size_t)count * sizeof(float));
    if (s == SF_OK)
        s = sf_npy_write(path, r->out[slot], ndim, shape);
    if (s != SF_OK)
        return fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0;
    printf("wrote %s\n", path);
    return 1;
}

int cmd_run(int argc, char **argv)
{
    const char *family = NULL, *kernel = NULL, *form = NULL, *dir_s = "fwd", *backend_s = "cpu", *out_dir = NULL;
    run_state r;
    memset(&r, 0, sizeof r);
    r.x.option = "--input", r.gy.option = "--grad-y", r.y.option = "--spikes", r.v.option = "--v";
    r.v_in.option = "--v-in";
    sf_lif_params p = sf_lif_defaults();
    sf_launch launch = {0, 0, 0, NULL};

    for (int i = 0; i < argc; ++i) {
        int matched;
        if (opt_flag(argv, i, "--help"))
            return fputs(help, stdout), SF_EXIT_OK;
        if (!opt_lif(argc, argv, &i, &p, &matched) || (!matched && !opt_launch(argc, argv, &i, &launch, &matched)))
            return SF_EXIT_USAGE;
        if (matched || opt_value(argc, argv, &i, "--family", &family) || opt_value(argc, argv, &i, "--kernel", &kernel) ||
            opt_value(argc, argv, &i, "--form", &form) || opt_value(argc, argv, &i, "--direction", &dir_s) ||
            opt_value(argc, argv, &i, "--backend", &backend_s) || opt_value(argc, argv, &i, "--out-dir", &out_dir) ||
            opt_value(argc, argv, &i, "--input", &r.x.path) || opt_value(argc, argv, &i, "--grad-y", &r.gy.path) ||
            opt_value(argc, argv, &i, "--spikes", &r.y.path) || opt_value(argc, argv, &i, "--v", &r.v.path) ||
            opt_value(argc, argv, &i, "--v-in", &r.v_in.path))
            continue;
        return fail(SF_EXIT_USAGE, "run: unknown option '%s' (spikefuse run --help)", argv[i]);
    }

    sf_direction dir;
    if (sf_direction_parse(dir_s, &dir) != SF_OK || sf_backend_parse(backend_s, &r.be) != SF_OK)
        return fail(SF_EXIT_USAGE, "run: %s", sf_last_error());
    if (sf_lif_check(&p) != SF_OK)
        return fail(SF_EXIT_USAGE, "run: %s", sf_last_error());
    if (!out_dir)
        return fail(SF_EXIT_USAGE, "run: --out-dir is required");
    const sf_kernel *k = NULL;
    if (kernel) {
        if (!(k = sf_kernel_find(kernel)))
            return fail(SF_EXIT_USAGE, "run: unknown kernel '%s' (spikefuse list shows them)", kernel);
        if ((family && strcmp(family, k->family) != 0) || (form && strcmp(form, k->form) != 0))
            return fail(SF_EXIT_USAGE, "run: kernel %s is not of family %s, form %s", kernel, family ? family : k->family,
                        form ? form : k->form);
        dir = k->direction;
    } else {
        if (!family)
            return fail(SF_EXIT_USAGE, "run: give --family (eager, step, fused) or --kernel");
        if (!(k = sf_kernel_default(family, dir, form, r.be)))
            return fail(SF_EXIT_USAGE, "run: no kernel of family '%s', direction %s, form %s (spikefuse list)", family,
                        dir_s, form ? form : "default");
    }
    if (sf_backend_available(r.be) != SF_OK)
        return fail(SF_EXIT_FAIL, "run: backend %s: %s", backend_s, sf_last_error());

    int64_t T = 0, M = 0, T2, M2;
    int ok;
    if (dir == SF_FWD)
        ok = load(&r.x, &T, &M, NULL);
    else
        ok = load(&r.gy, &T, &M, NULL) && load(&r.y, &T2, &M2, &r.gy.a) && load(&r.v, &T2, &M2, &r.gy.a);
    const sf_npy *first = dir == SF_FWD ? &r.x.a : &r.gy.a;
    if (ok && (k->tensors_in & SF_TENSOR_V_IN) && r.v_in.path) {
        if (sf_npy_read(r.v_in.path, &r.v_in.a) != SF_OK)
            ok = (fail(SF_EXIT_FAIL, "%s", sf_last_error()), 0);
        else if (r.v_in.a.count != M || r.v_in.a.ndim != first->ndim - 1 ||
                 memcmp(r.v_in.a.shape, first->shape + 1, sizeof(int64_t) * (size_t)r.v_in.a.ndim) != 0)
            ok = (fail(SF_EXIT_FAIL, "%s: shape must be the input's without its time axis", r.v_in.path), 0);
    } else if (ok && r.v_in.path) {
        ok = (fail(SF_EXIT_USAGE, "run: --v-in applies only to segment kernels (--form segment)"), 0);
    }
    if (!ok) {
        release(&r);
        return SF_EXIT_FAIL;
    }

    sf_status s = SF_OK;
    const int64_t TM = T * M;
    sf_tensors t = {T, M, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    if (dir == SF_FWD) {
        t.x = device_buffer(&r, 0, r.x.a.data, TM, &s);
        t.y = device_buffer(&r, 1, NULL, TM, &s);
        if (k->tensors_out & SF_TENSOR_V)
            t.v = device_buffer(&r, 2, NULL, TM, &s);
        if (k->tensors_out & SF_TENSOR_V_OUT)
            t.v_out = device_buffer(&r, 3, NULL, M, &s);
        if (k->tensors_in & SF_TENSOR_V_IN) {
            if (r.v_in.a.data) {
                t.v_in = device_buffer(&r, 4, r.v_in.a.data, M, &s);
            } else { /* no boundary state given: start from rest, as an unsegmented layer does */
                float *rest = NULL;
                if (s == SF_OK && (s = sf_alloc(SF_BACKEND_CPU, (size_t)M * sizeof(float), (void **)&rest)) == SF_OK) {
                    for (int64_t i = 0; i < M; ++i)
                        rest[i] = p.rest;
                    t.v_in = device_buffer(&r, 4, rest, M, &s);
                    sf_free(SF_BACKEND_CPU, rest);
                }
            }
        }
    } else {
        t.grad_y = device_buffer(&r, 0, r.gy.a.data, TM, &s);
        t.y = device_buffer(&r, 1, r.y.a.data, TM, &s);
        t.v = device_buffer(&r, 2, r.v.a.data, TM, &s);
        t.grad_x = device_buffer(&r, 3, NULL, TM, &s);
    }
    if (s == SF_OK && sf_workspace_bytes(k, M) > 0 && (s = sf_alloc(r.be, sf_workspace_bytes(k, M), &r.dev[5])) == SF_OK)
        t.workspace = r.dev[5];
    sf_launch planned;
    if (s == SF_OK)
        s = sf_plan(k, r.be, M, &launch, &planned);
    if (s == SF_OK)
        s = sf_run(k, r.be, &t, &p, &launch);
    if (s == SF_OK)
        s = sf_synchronize(r.be);
    if (s != SF_OK) {
        release(&r);
        return fail(SF_EXIT_FAIL, "run: %s", sf_last_error());
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        release(&r);
        return fail(SF_EXIT_FAIL, "run: cannot create %s: %s", out_dir, strerror(errno));
    }
    printf("ran %s on %s: T=%lld M=%lld block=%d grid=%lld surrogate=%s\n", k->name, sf_backend_name(r.be),
           (long long)T, (long long)M, planned.block, (long long)planned.grid, sf_surrogate_name(p.surrogate));
    ok = 1;
    if (dir == SF_FWD) {
        ok = write_output(&r, 0, t.y, TM, out_dir, "y.npy", first->ndim, first->shape);
        if (ok && t.v)
            ok = write_output(&r, 1, t.v, TM, out_dir, "v.npy", first->ndim, first->shape);
        if (ok && t.v_out)
            ok = write_output(&r, 2, t.v_out, M, out_dir, "v_out.npy", first->ndim - 1, first->shape + 1);
    } else {
        ok = write_output(&r, 0, t.grad_x, TM, out_dir, "gx.npy", first->ndim, first->shape);
    }
    release(&r);
    return ok ? SF_EXIT_OK : SF_EXIT_FAIL;
}
