/*
 * fuzz_spf_record.c - libFuzzer target: any bytes as the SPF records a
 * sender's DNS serves, evaluated by spf_check_run (mxray's DNS layer
 * under libspf2, the lookup and void-lookup counting, the result mapping).
 *
 * The input is split at newlines: the first part is the TXT record of the
 * sender domain fuzz.test, the next three answer TXT queries for any other
 * name (picked by a hash of the name), so include: and redirect= chains
 * are followed. A and AAAA answers exist for half of the names, MX and PTR
 * point at mx.fuzz.test. Whatever the records, the verdict must be one of
 * RFC 7208's seven results and the counts must be in bounds.
 * In production this code runs inside spf_sandbox's child process; here it
 * runs in-process so the sanitizers see every byte it touches.
 */
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/analysis/fake_dns.h"
#include "analysis/spf_check.h"
#include "base/log.h"

#define PARTS 4

static char *part[PARTS];

static unsigned name_hash(const char *s)
{
	unsigned h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)(*s | 0x20);
	return h;
}

/* fuzz_query - answers built from the current input (one thread). */
static int fuzz_query(void *arg, const char *name, int type, dns_answer_t **out, char *err,
		      size_t errlen)
{
	static fake_rr_t rr;
	static fake_dns_t f;
	(void)arg;
	memset(&rr, 0, sizeof(rr));
	rr.name = name;
	rr.type = type;
	rr.outcome = DNS_OK;
	unsigned h = name_hash(name);
	switch (type) {
	case ns_t_txt: {
		const char *txt = strcasecmp(name, "fuzz.test") == 0 ? part[0] : part[1 + h % 3];
		if (txt == NULL)
			rr.outcome = DNS_NXDOMAIN;
		/* A record longer than the fake encoder holds is cut. */
		static char cut[1801];
		if (txt && strlen(txt) >= sizeof(cut)) {
			memcpy(cut, txt, sizeof(cut) - 1);
			txt = cut;
		}
		rr.text[0] = txt;
		break;
	}
	case ns_t_a:
		rr.text[0] = "192.0.2.7";
		rr.outcome = h & 1 ? DNS_OK : DNS_NXDOMAIN;
		break;
	case ns_t_aaaa:
		rr.text[0] = "2001:db8::7";
		rr.outcome = h & 2 ? DNS_OK : DNS_NODATA;
		break;
	case ns_t_mx:
	case ns_t_ptr:
		rr.text[0] = "mx.fuzz.test";
		break;
	default:
		rr.outcome = DNS_NODATA;
		break;
	}
	if (rr.outcome != DNS_OK)
		rr.text[0] = NULL;
	analysis_dns_t d = fake_dns_source(&f, &rr, 1);
	return d.query(d.arg, name, type, out, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) {
		log_init("fuzz_spf_record", LOG_DEST_STDERR, 0);
		spf_check_init();
		once = 1;
	}
	if (size > 8192)
		return 0;
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *p = text;
	for (int i = 0; i < PARTS; i++) {
		part[i] = p;
		char *nl = p ? strchr(p, '\n') : NULL;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
	}
	analysis_dns_t dns = { fuzz_query, NULL };
	json_t *spf = spf_check_run(&dns, "192.0.2.7", "client.fuzz.test", "alice@fuzz.test");
	static const char *const results[] = { "pass", "fail", "softfail", "neutral", "none",
					       "temperror", "permerror" };
	const char *r = json_string_value(json_object_get(spf, "result"));
	int known = 0;
	for (size_t i = 0; r && i < sizeof(results) / sizeof(results[0]); i++)
		known |= strcmp(r, results[i]) == 0;
	json_int_t lookups = json_integer_value(json_object_get(spf, "lookups"));
	json_int_t voids = json_integer_value(json_object_get(spf, "void_lookups"));
	if (!known || lookups < 0 || voids < 0 || voids > lookups + 1)
		abort();
	json_decref(spf);
	free(text);
	return 0;
}
