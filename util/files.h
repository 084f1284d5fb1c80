/* Text files written atomically and JSON files read whole (util/files.c). */
#ifndef SF_FILES_H
#define SF_FILES_H

#include <cjson/cJSON.h>

#include "spikefuse.h"

/* Parses a JSON file; SF_ERR_IO with the byte where it stops being JSON. */
sf_status sf_json_read_file(const char *path, cJSON **out);
/* Writes text to path atomically: a temporary file beside it, then rename. "-" is standard output, and a
 * path that is not a regular file (/dev/stdout, a FIFO, a link) is written through, not replaced. */
sf_status sf_write_atomic(const char *path, const char *text);
/* SF_OK when the folder path would be written into exists and takes files: checked before hours of
 * measuring, not after. */
sf_status sf_check_writable(const char *path);

#endif
