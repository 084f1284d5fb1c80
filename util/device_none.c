/* Without CUDA there is no GPU to fingerprint. */
#include "device.h"
#include "spikefuse_core.h"

sf_status sf_device_query_cuda(sf_device_info *out)
{
    (void)out;
    return sf_cuda_available();
}
