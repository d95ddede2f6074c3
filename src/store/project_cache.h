/* What the claim and submit paths need from a project, read and parsed once per project and settings. */
#ifndef FL_PROJECT_CACHE_H
#define FL_PROJECT_CACHE_H
#include "store/store.h"

/* An entry is immutable once made and may be shared by several threads: use it read-only. */
struct project_hot {
    struct project p;              /* the columns that never change after insert (strings owned by the entry) */
    json_t *schema;                /* schema_json parsed (NULL if unreadable); never modify it */
    struct quality_config quality; /* quality_json parsed, defaults when unreadable; strings owned by the entry */
    json_t *quality_holder;
    const char *quality_json;      /* the text it was parsed from: the key that must match the row */
    _Atomic int refs;              /* the cache's reference and one per user */
};

/* Reads project id's changing columns (status, quality settings, callback) inside d's transaction and
 * returns the project: *p as store_project_get fills it (strings in a) except the progress counters and
 * updated_at, which stay 0; *hot the parsed parts, valid until project_cache_release(*hot). Settings
 * changed by any process (another server, the CLI) are seen at once: the cached parse is used only while
 * the row's quality_json is the text it came from. DB_ROW, DB_DONE (no such project; *hot NULL) or an error. */
db_rc project_cache_get(db *d, arena *a, int64_t id, struct project *p, const struct project_hot **hot);
void project_cache_release(const struct project_hot *hot);

/* Parses stored quality settings (validated when saved; defaults and a log line when unreadable). Returns
 * the JSON that cfg's strings point into (NULL for none): json_decref it after cfg's last use. */
json_t *project_quality_parse(int64_t project_id, const char *quality_json, int64_t overlap, struct quality_config *cfg);

#endif
