/*
 * findings_check.h - for tests: whether a part of a report carries a
 * finding (mail/finding.h puts them in its "findings" array).
 */
#ifndef MXRAY_TEST_FINDINGS_CHECK_H
#define MXRAY_TEST_FINDINGS_CHECK_H

#include <string.h>
#include <jansson.h>

/* has_finding - 1 if o["findings"] holds a finding with this id. */
static inline int has_finding(const json_t *o, const char *id)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(o, "findings"), i, f) {
		const char *fid = json_string_value(json_object_get(f, "id"));
		if (fid != NULL && strcmp(fid, id) == 0)
			return 1;
	}
	return 0;
}

#endif
