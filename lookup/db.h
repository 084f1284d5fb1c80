/* The tuning database beyond the public lookup (spikefuse_tuning.h): what the tuner needs to write it. */
#ifndef SF_LOOKUP_DB_H
#define SF_LOOKUP_DB_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "spikefuse_tuning.h"

#define SF_TUNING_SCHEMA "spikefuse.tuning"
#define SF_TUNING_SCHEMA_VERSION 1

int sf_log2_bucket(int64_t x);
cJSON *sf_tuning_entries(const sf_tuning_db *db);
/* Adds an entry (taking ownership); where one of the same key exists the faster stays. */
sf_status sf_tuning_put(sf_tuning_db *db, cJSON *entry);
/* Adds an entry (taking ownership), replacing one of the same key whatever its time. */
sf_status sf_tuning_replace(sf_tuning_db *db, cJSON *entry);

#endif
