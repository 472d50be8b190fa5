/*
 * report_json.h - defensive reading of a report's JSON (internal to
 * lib/report and its programs).
 *
 * A report may come from another process, an older or newer version, or
 * anyone who can write to Redis. These accessors return NULL / "absent"
 * for a missing key, a null, or a value of the wrong type, so a renderer
 * never dereferences something it did not check.
 */
#ifndef MXRAY_REPORT_REPORT_JSON_H
#define MXRAY_REPORT_REPORT_JSON_H

#include <time.h>
#include <jansson.h>

/* rjson_str - obj[key] if it is a string, else NULL (borrowed). */
const char *rjson_str(const json_t *obj, const char *key);
/* rjson_obj - obj[key] if it is an object, else NULL (borrowed). */
json_t *rjson_obj(const json_t *obj, const char *key);
/* rjson_arr - obj[key] if it is an array, else NULL (borrowed). */
json_t *rjson_arr(const json_t *obj, const char *key);
/* rjson_int - 1 with *out set if obj[key] is an integer, else 0. */
int rjson_int(const json_t *obj, const char *key, long long *out);
/* rjson_bool - 1 true, 0 false, -1 absent or not a boolean. */
int rjson_bool(const json_t *obj, const char *key);
/* rjson_time - parse "YYYY-MM-DDTHH:MM:SSZ"; 0 with *out, -1 if malformed. */
int rjson_time(const char *text, time_t *out);

#endif
