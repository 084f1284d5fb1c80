/* Without CUDA there is nothing to time on a GPU. */
#include "spikefuse_core.h"
#include "measure.h"
#include "multigpu.h"

sf_status sf_measure_cuda(sf_trial *tr, const sf_device_info *dev, const sf_measure_config *c, const char *name,
                          sf_measurement *out)
{
    (void)tr, (void)dev, (void)c, (void)name, (void)out;
    return sf_cuda_available();
}

sf_status sf_handoff_cuda(size_t bytes, int samples, double *seconds, int *peer)
{
    (void)bytes, (void)samples, (void)seconds, (void)peer;
    return sf_cuda_available();
}

sf_status sf_copy_bandwidth_cuda(double *bytes_per_s)
{
    *bytes_per_s = 0;
    return sf_cuda_available();
}
