/*
 * finding.c - the catalogue table, assembled from findings/<area>.def.
 *
 * Each .def file holds lines
 *   FINDING(id, SEVERITY, AREA, cap, title, meaning, why, fix, reference)
 * with SEVERITY one of OK INFO NOTICE WARNING CRITICAL, AREA one of NONE
 * SENDING RECEIVING POLICY, cap a grade letter in quotes or 0.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "mail/finding.h"
#include "mail/record.h"

#define FINDING(id, sev, area, cap, title, meaning, why, fix, ref) \
	{ id, FINDING_##sev, FINDING_AREA_##area, cap, title, meaning, why, fix, ref },

static const finding_def_t finding_table[] = {
#include "mail/findings/message.def"
#include "mail/findings/dkim.def"
#include "mail/findings/spf.def"
#include "mail/findings/dmarc.def"
#include "mail/findings/dns.def"
#include "mail/findings/smtp.def"
#include "mail/findings/tls.def"
#include "mail/findings/cert.def"
#include "mail/findings/dane.def"
#include "mail/findings/mta_sts.def"
#include "mail/findings/tlsrpt.def"
#include "mail/findings/scan.def"
	{ NULL, FINDING_INFO, FINDING_AREA_NONE, 0, NULL, NULL, NULL, NULL, NULL },
};

const finding_def_t *finding_lookup(const char *id)
{
	for (const finding_def_t *d = finding_table; d->id; d++)
		if (strcmp(d->id, id) == 0)
			return d;
	return NULL;
}

const finding_def_t *finding_at(size_t i)
{
	size_t n = sizeof(finding_table) / sizeof(finding_table[0]) - 1;
	return i < n ? &finding_table[i] : NULL;
}

const char *finding_severity_name(finding_severity_t s)
{
	switch (s) {
	case FINDING_OK: return "ok";
	case FINDING_INFO: return "info";
	case FINDING_NOTICE: return "notice";
	case FINDING_WARNING: return "warning";
	case FINDING_CRITICAL: return "critical";
	}
	return "unknown";
}

const char *finding_area_name(finding_area_t a)
{
	switch (a) {
	case FINDING_AREA_NONE: return "none";
	case FINDING_AREA_SENDING: return "sending";
	case FINDING_AREA_RECEIVING: return "receiving";
	case FINDING_AREA_POLICY: return "policy";
	}
	return "unknown";
}

void finding_add(json_t *obj, const char *id, const char *subject, const char *detail_fmt, ...)
{
	const finding_def_t *d = finding_lookup(id);
	if (d == NULL)
		log_panic("finding_add: \"%s\" is not in the findings catalogue "
			  "(lib/mail/findings/*.def)", id);
	json_t *list = json_object_get(obj, "findings");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(obj, "findings", list);
	}
	json_t *f = json_object();
	json_object_set_new(f, "id", json_string(id));
	json_object_set_new(f, "severity", json_string(finding_severity_name(d->severity)));
	record_set_text(f, "subject", subject);
	if (detail_fmt) {
		strbuf_t sb = STRBUF_INIT;
		va_list ap;
		va_start(ap, detail_fmt);
		strbuf_vprintf(&sb, detail_fmt, ap);
		va_end(ap);
		json_object_set_new(f, "detail", record_text(sb.data, sb.len));
		strbuf_free(&sb);
	} else {
		json_object_set_new(f, "detail", json_null());
	}
	json_array_append_new(list, f);
}
