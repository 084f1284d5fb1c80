/* The registry's API, launch planning and the checked entry point sf_run. */
#include <string.h>

#include "../kernels/launch.h"
#include "internal.h"
#include "registry_internal.h"

int sf_kernel_count(void) { return sf_registry_count; }

const sf_kernel *sf_kernel_at(int index)
{
    return index >= 0 && index < sf_registry_count ? &sf_registry[index].info : NULL;
}

const sf_kernel *sf_kernel_find(const char *name)
{
    for (int i = 0; name && i < sf_registry_count; ++i)
        if (strcmp(sf_registry[i].info.name, name) == 0)
            return &sf_registry[i].info;
    return NULL;
}

const sf_kernel *sf_kernel_default(const char *family, sf_direction d, const char *form, sf_backend b)
{
    if (!form)
        form = d == SF_FWD ? "train" : "grad";
    for (int i = 0; family && i < sf_registry_count; ++i) {
        const sf_kernel *k = &sf_registry[i].info;
        if (strcmp(k->family, family) == 0 && k->direction == d && strcmp(k->form, form) == 0 &&
            (k->default_on & (1u << b)))
            return k;
    }
    return NULL;
}

static const char *const storage_names[] = {"f32", "bf16", "f16"};

sf_status sf_storage_parse(const char *name, sf_storage *out)
{
    for (int i = 0; name && i < (int)(sizeof storage_names / sizeof storage_names[0]); ++i)
        if (strcmp(name, storage_names[i]) == 0) {
            *out = (sf_storage)i;
            return SF_OK;
        }
    return sf_fail(SF_ERR_UNKNOWN, "unknown storage type '%s' (f32, bf16, f16)", name ? name : "");
}

const char *sf_storage_name(sf_storage s)
{
    return (unsigned)s < sizeof storage_names / sizeof storage_names[0] ? storage_names[s] : "?";
}

int sf_kernel_stores_spikes(const sf_kernel *k, const char *spikes)
{
    return !((k->tensors_in | k->tensors_out) & SF_TENSOR_Y) || strcmp(k->spikes, spikes) == 0;
}

int sf_spikes_known(const char *spikes)
{
    for (int i = 0; spikes && i < sf_registry_count; ++i)
        if (strcmp(sf_registry[i].info.spikes, spikes) == 0)
            return 1;
    return 0;
}

const char *sf_spikes_default(const char *dtype)
{
    const char *widest = NULL;
    int bits = 0;
    for (int i = 0; dtype && i < sf_registry_count; ++i) {
        const sf_kernel *k = &sf_registry[i].info;
        if (strcmp(k->dtype, dtype) == 0 && ((k->tensors_in | k->tensors_out) & SF_TENSOR_Y) && k->spike_bits > bits)
            widest = k->spikes, bits = k->spike_bits;
    }
    return widest;
}

const sf_kernel *sf_kernel_with_storage(const sf_kernel *k, const char *dtype, const char *spikes)
{
    if (!k)
        return NULL;
    if (!dtype)
        dtype = k->dtype;
    if (!spikes)
        spikes = k->spikes;
    if (strcmp(k->dtype, dtype) == 0 && sf_kernel_stores_spikes(k, spikes))
        return k;
    for (int i = 0; i < sf_registry_count; ++i) {
        const sf_kernel *v = &sf_registry[i].info;
        if (strcmp(v->family, k->family) == 0 && v->direction == k->direction && strcmp(v->form, k->form) == 0 &&
            strcmp(v->dtype, dtype) == 0 && sf_kernel_stores_spikes(v, spikes) && v->vec == k->vec &&
            v->npt == k->npt && v->unroll == k->unroll && v->chunk == k->chunk && v->prefetch == k->prefetch && v->stage == k->stage && v->default_block == k->default_block)
            return v;
    }
    return NULL;
}

/* The entry a public sf_kernel* belongs to, or NULL if it is not one of the registry's. */
static const sf_kernel_entry *entry_of(const sf_kernel *k)
{
    for (int i = 0; k && i < sf_registry_count; ++i)
        if (&sf_registry[i].info == k)
            return &sf_registry[i];
    return NULL;
}

void sf_kernel_step_bytes(const sf_kernel *k, double *read, double *written)
{
    /* the spike tensor y, where a kernel reads or writes it, is one of the counted elements */
    const double spike_saving = k->elem_bytes - k->spike_bits / 8.0;
    *read = k->reads_per_step * k->elem_bytes - ((k->tensors_in & SF_TENSOR_Y) ? spike_saving : 0);
    *written = k->writes_per_step * k->elem_bytes - ((k->tensors_out & SF_TENSOR_Y) ? spike_saving : 0);
    if (k->chunk > 0) { /* an fp32 checkpoint every chunk steps, counted apart (forms.csv) */
        *read += (k->tensors_in & SF_TENSOR_V) ? 4.0 / k->chunk : 0;
        *written += (k->tensors_out & SF_TENSOR_V) ? 4.0 / k->chunk : 0;
    }
}

double sf_kernel_bytes(const sf_kernel *k, int64_t T, int64_t M)
{
    double read, written;
    sf_kernel_step_bytes(k, &read, &written);
    return (read + written) * (double)T * (double)M;
}

int64_t sf_checkpoint_rows(int64_t T, int chunk)
{
    return (T + chunk - 1) / chunk;
}

int64_t sf_checkpoint_step(int64_t c, int64_t T, int chunk)
{
    return (c + 1) * chunk < T ? (c + 1) * chunk - 1 : T - 1;
}

int64_t sf_tensor_rows(const sf_kernel *k, unsigned tensor, int64_t T)
{
    return tensor == SF_TENSOR_V && k->chunk > 0 ? sf_checkpoint_rows(T, k->chunk) : T;
}

size_t sf_tensor_bytes(const sf_kernel *k, unsigned tensor, int64_t T, int64_t M)
{
    if (tensor == SF_TENSOR_V && k->chunk > 0)
        return (size_t)sf_tensor_rows(k, tensor, T) * (size_t)M * sizeof(float);
    if (tensor != SF_TENSOR_Y)
        return (size_t)T * (size_t)M * (size_t)k->elem_bytes;
    if (k->spike_bits == 1)
        return (size_t)T * (size_t)((M + 31) / 32) * 4u; /* rows of whole words */
    return (size_t)T * (size_t)M * (size_t)k->spike_bits / 8;
}

int64_t sf_kernel_launches(const sf_kernel *k, int64_t T)
{
    return k->launches_per_step == 0 ? 1 : (int64_t)k->launches_per_step * T;
}

size_t sf_workspace_bytes(const sf_kernel *k, int64_t M)
{
    return (size_t)k->workspace_vectors * sf_workspace_stride(M, k->elem_bytes);
}

sf_status sf_plan_over_limit(int block, int max_block, sf_backend b)
{
    return sf_fail(SF_ERR_INVALID, "block of %d threads: this kernel launches with at most %d on this %s device "
                                   "(its registers per thread)", block, max_block, sf_backend_name(b));
}

sf_status sf_plan_not_multiple(int block, int multiple)
{
    return sf_fail(SF_ERR_INVALID, "block of %d threads: this kernel packs 32 spikes a word and needs a multiple of "
                                   "%d threads", block, multiple);
}

sf_status sf_plan_finish(sf_launch *r, sf_backend b, int64_t M, int neurons_per_thread, sf_launch *out)
{
    const int max_block = b == SF_BACKEND_CUDA ? SF_CUDA_MAX_BLOCK : SF_CPU_MAX_BLOCK;
    if (M < 1)
        return sf_fail(SF_ERR_INVALID, "M must be >= 1 (got %lld)", (long long)M);
    if (r->block < 1 || r->block > max_block)
        return sf_fail(SF_ERR_INVALID, "block of %d threads is outside 1..%d for the %s backend", r->block,
                       max_block, sf_backend_name(b));
    if (r->cpu_threads < 0)
        return sf_fail(SF_ERR_INVALID, "cpu_threads must be >= 0 (got %d)", r->cpu_threads);
    const int64_t tile = (int64_t)r->block * neurons_per_thread;
    const int64_t need = (M + tile - 1) / tile;
    if (r->grid == 0)
        r->grid = need;
    if (r->grid < need)
        return sf_fail(SF_ERR_INVALID,
                       "grid of %lld blocks covers %lld of %lld neurons; kernels do not grid-stride, use >= %lld",
                       (long long)r->grid, (long long)(r->grid * tile), (long long)M, (long long)need);
    if (r->grid > 2147483647LL)
        return sf_fail(SF_ERR_INVALID, "grid of %lld blocks exceeds 2^31-1; use a larger block",
                       (long long)r->grid);
    *out = *r;
    return SF_OK;
}

static sf_status check_backend(const sf_kernel_entry *e, sf_backend b)
{
    if (b != SF_BACKEND_CPU && b != SF_BACKEND_CUDA)
        return sf_fail(SF_ERR_INVALID, "unknown backend %d", (int)b);
    if (!e->run[b])
        return sf_fail(SF_ERR_NODEVICE, "spikefuse was built without the %s backend", sf_backend_name(b));
    return sf_backend_available(b);
}

sf_status sf_plan(const sf_kernel *k, sf_backend b, int64_t M, const sf_launch *in, sf_launch *out)
{
    const sf_kernel_entry *e = entry_of(k);
    if (!e)
        return sf_fail(SF_ERR_INVALID, "not a registered kernel");
    const sf_status s = check_backend(e, b);
    return s != SF_OK ? s : e->plan[b](M, in, out);
}

sf_status sf_max_block(const sf_kernel *k, sf_backend b, int *max_block)
{
    const sf_kernel_entry *e = entry_of(k);
    if (!e)
        return sf_fail(SF_ERR_INVALID, "not a registered kernel");
    const sf_status s = check_backend(e, b);
    return s != SF_OK ? s : e->max_block[b](max_block);
}

sf_status sf_occupancy(const sf_kernel *k, sf_backend b, int block, int *blocks_per_sm)
{
    const sf_kernel_entry *e = entry_of(k);
    if (!e)
        return sf_fail(SF_ERR_INVALID, "not a registered kernel");
    const sf_status s = check_backend(e, b);
    return s != SF_OK ? s : e->occupancy[b](block, blocks_per_sm);
}

static const struct {
    unsigned bit;
    const char *name;
} tensor_names[] = {
    {SF_TENSOR_X, "x"},           {SF_TENSOR_Y, "y"},           {SF_TENSOR_V, "v"},
    {SF_TENSOR_V_IN, "v_in"},     {SF_TENSOR_V_OUT, "v_out"},   {SF_TENSOR_GRAD_Y, "grad_y"},
    {SF_TENSOR_GRAD_X, "grad_x"},
};

static const void *tensor_ptr(const sf_tensors *t, unsigned bit)
{
    switch (bit) {
    case SF_TENSOR_X: return t->x;
    case SF_TENSOR_Y: return t->y;
    case SF_TENSOR_V: return t->v;
    case SF_TENSOR_V_IN: return t->v_in;
    case SF_TENSOR_V_OUT: return t->v_out;
    case SF_TENSOR_GRAD_Y: return t->grad_y;
    case SF_TENSOR_GRAD_X: return t->grad_x;
    }
    return NULL;
}

sf_status sf_run(const sf_kernel *k, sf_backend b, const sf_tensors *t, const sf_lif_params *p,
                 const sf_launch *launch)
{
    const sf_kernel_entry *e = entry_of(k);
    if (!e)
        return sf_fail(SF_ERR_INVALID, "not a registered kernel");
    if (!t)
        return sf_fail(SF_ERR_INVALID, "%s: no tensors given", k->name);
    int64_t elems;
    if (t->T < 1 || t->M < 1)
        return sf_fail(SF_ERR_INVALID, "%s: T and M must be >= 1 (got T=%lld, M=%lld)", k->name,
                       (long long)t->T, (long long)t->M);
    if (!sf_mul_ok(t->T, t->M, &elems) || !sf_mul_ok(elems, k->elem_bytes, &elems))
        return sf_fail(SF_ERR_INVALID, "%s: T x M = %lld x %lld overflows 64-bit byte offsets", k->name,
                       (long long)t->T, (long long)t->M);
    const unsigned need = k->tensors_in | k->tensors_out;
    for (size_t i = 0; i < sizeof tensor_names / sizeof tensor_names[0]; ++i)
        if ((need & tensor_names[i].bit) && !tensor_ptr(t, tensor_names[i].bit))
            return sf_fail(SF_ERR_INVALID, "%s needs tensor '%s'", k->name, tensor_names[i].name);
    if (k->workspace_vectors > 0 && !t->workspace)
        return sf_fail(SF_ERR_INVALID, "%s needs a workspace of %zu bytes", k->name,
                       sf_workspace_bytes(k, t->M));
    sf_status s = sf_lif_check(p);
    if (s == SF_OK)
        s = check_backend(e, b);
    /* planned here, once, so that every template's run function starts from a complete launch */
    sf_launch planned;
    if (s == SF_OK)
        s = e->plan[b](t->M, launch, &planned);
    return s != SF_OK ? s : e->run[b](t, p, &planned);
}
