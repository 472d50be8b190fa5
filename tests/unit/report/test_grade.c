/*
 * test_grade.c - the grading scheme of docs/grading.md, pinned by a table
 * of reports: facts in, findings and grades out.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "report/assess.h"
#include "report/grade.h"

/* A good MX address: STARTTLS, TLS 1.3, trusted and matching. */
#define GOOD_ADDR "{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"ehlo\":[\"STARTTLS\"]," \
	"\"tls\":{\"version\":\"TLSv1.3\",\"verified\":true,\"name_match\":true,\"chain\":[{\"days_left\":80}]}}"
#define MX(addr) "\"mx\":[{\"host\":\"mx.example.org\",\"addresses\":[" addr "]}]"
#define DNS(sec) "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"" sec "\"}}"
#define GOOD_MSG "\"message\":{\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\"}," \
	"\"spf\":{\"domain\":\"example.org\",\"result\":\"pass\"}," \
	"\"dkim\":[{\"domain\":\"example.org\",\"selector\":\"s1\",\"result\":\"pass\"}]}"

static const struct {
	const char *name;
	const char *report;	/* without the outer braces and "format" */
	const char *overall, *sending, *receiving, *policy;	/* NULL = not graded */
	const char *capped_by;
} cases[] = {
	{ "all good, domain check", DNS("secure") "," MX(GOOD_ADDR),
	  "A", NULL, "A", "A", NULL },
	{ "all good with a test mail", GOOD_MSG "," DNS("secure") "," MX(GOOD_ADDR),
	  "A", "A", "A", "A", NULL },
	{ "no STARTTLS is an F", DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"not_offered\"}"),
	  "F", NULL, "F", "A", "smtp.starttls.missing" },
	{ "untrusted certificate is not an F",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"tls\":{\"version\":\"TLSv1.3\",\"verified\":false,\"verify_error\":\"self-signed certificate\",\"name_match\":true}}"),
	  "A", NULL, "A", "A", NULL },
	{ "expired certificate caps at B",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"tls\":{\"version\":\"TLSv1.2\",\"verified\":false,\"verify_error\":\"certificate has expired\",\"name_match\":true}}"),
	  "B", NULL, "B", "A", "cert.expired" },
	{ "obsolete TLS caps at B",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"tls\":{\"version\":\"TLSv1\",\"verified\":true,\"name_match\":true}}"),
	  "B", NULL, "B", "A", "tls.version.obsolete" },
	{ "handshake failure caps at C",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"failed\",\"reason\":\"handshake failure\"}"),
	  "C", NULL, "C", "A", "smtp.starttls.failed" },
	{ "handshake breaking the dialogue is still reached, caps at C",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"failed\",\"starttls\":\"failed\",\"reason\":\"TLS handshake: closed\"}"),
	  "C", NULL, "C", "A", "smtp.starttls.failed" },
	{ "mail sent in plaintext caps sending at C",
	  "\"message\":{\"tls\":null,\"spf\":{\"result\":\"pass\"},\"dkim\":[{\"result\":\"pass\"}]}," DNS("secure") "," MX(GOOD_ADDR),
	  "C", "C", "A", "A", "message.tls.plaintext" },
	{ "SPF fail caps sending at D",
	  "\"message\":{\"tls\":{\"version\":\"TLSv1.3\"},\"spf\":{\"result\":\"fail\"},\"dkim\":[{\"result\":\"pass\"}]}," DNS("secure") "," MX(GOOD_ADDR),
	  "D", "D", "A", "A", "spf.fail" },
	{ "no DKIM signature caps sending at C",
	  "\"message\":{\"tls\":{\"version\":\"TLSv1.3\"},\"spf\":{\"result\":\"pass\"},\"dkim\":[]}," DNS("secure") "," MX(GOOD_ADDR),
	  "C", "C", "A", "A", "dkim.none" },
	{ "nothing testable (421) is not graded, never F",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"not_tested\",\"reason\":\"421 greeting\"}"),
	  "A", NULL, NULL, "A", NULL },
	{ "every address left untested by mxray's own slot limit is not graded, never F",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"not_tested\",\"mxray_limit\":\"connection slots\","
	  "\"reason\":\"mxray's own limit of connections to this address stayed in use\"}"),
	  "A", NULL, NULL, "A", NULL },
	{ "nothing reachable is an F",
	  DNS("secure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"failed\",\"reason\":\"connection refused\"}"),
	  "F", NULL, "F", "A", "dns.mx.unreachable" },
	{ "bogus DNSSEC is an F even with nothing to test",
	  "\"dns\":{\"mx\":{\"outcome\":\"servfail\",\"dnssec\":\"bogus\",\"why_bogus\":\"no DS\"}},\"mx\":[]",
	  "F", NULL, "F", "A", "dns.mx.dnssec_bogus" },
	{ "unsigned MX caps policy at B",
	  DNS("insecure") "," MX(GOOD_ADDR),
	  "B", NULL, "A", "B", "dns.mx.dnssec_insecure" },
	{ "DANE on every tested address earns A+",
	  DNS("secure") ",\"mx\":[{\"host\":\"mx.example.org\",\"dane\":{\"outcome\":\"secure\",\"usable_records\":1},"
	  "\"addresses\":[{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"dane\":{\"state\":\"valid\",\"matched_record\":0},"
	  "\"tls\":{\"version\":\"TLSv1.3\",\"verified\":true,\"name_match\":true}}]}]",
	  "A+", NULL, "A+", "A", NULL },
	{ "a TLSA mismatch is an F",
	  DNS("secure") ",\"mx\":[{\"host\":\"mx.example.org\",\"dane\":{\"outcome\":\"secure\",\"usable_records\":1},"
	  "\"addresses\":[{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"dane\":{\"state\":\"mismatch\"},"
	  "\"tls\":{\"version\":\"TLSv1.3\",\"verified\":true,\"name_match\":true}}]}]",
	  "F", NULL, "F", "A", "dane.mismatch" },
	{ "DANE-EE authenticates a self-signed certificate: A+",
	  DNS("secure") ",\"mx\":[{\"host\":\"mx.example.org\",\"dane\":{\"outcome\":\"secure\",\"usable_records\":1},"
	  "\"addresses\":[{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"dane\":{\"state\":\"valid\"},"
	  "\"tls\":{\"version\":\"TLSv1.2\",\"verified\":false,\"verify_error\":\"self-signed certificate\",\"name_match\":true}}]}]",
	  "A+", NULL, "A+", "A", NULL },
	{ "MTA-STS enforce with trusted, matching certificates earns A+",
	  "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"secure\"},\"mta_sts\":{\"mode\":\"enforce\"}}," MX(GOOD_ADDR),
	  "A+", NULL, "A+", "A", NULL },
	{ "MTA-STS mode inside the policy object counts too",
	  "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"secure\"},\"mta_sts\":{\"policy\":{\"mode\":\"enforce\"}}}," MX(GOOD_ADDR),
	  "A+", NULL, "A+", "A", NULL },
	{ "MTA-STS testing mode does not earn A+",
	  "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"secure\"},\"mta_sts\":{\"mode\":\"testing\"}}," MX(GOOD_ADDR),
	  "A", NULL, "A", "A", NULL },
	{ "MTA-STS enforce with an untrusted certificate does not earn A+",
	  "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"secure\"},\"mta_sts\":{\"mode\":\"enforce\"}},"
	  MX("{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"tls\":{\"version\":\"TLSv1.3\",\"verified\":false,\"verify_error\":\"self-signed certificate\",\"name_match\":true}}"),
	  "A", NULL, "A", "A", NULL },
	{ "MTA-STS enforce whose mx patterns miss the host does not earn A+",
	  "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"secure\"},\"mta_sts\":{\"mode\":\"enforce\"}},"
	  "\"mx\":[{\"host\":\"mx.example.org\",\"mta_sts\":{\"mx_match\":false},\"addresses\":[" GOOD_ADDR "]}]",
	  "A", NULL, "A", "A", NULL },
	{ "A+ needs every tested address: one without DANE keeps A",
	  DNS("secure") ",\"mx\":[{\"host\":\"mx.example.org\",\"dane\":{\"outcome\":\"secure\",\"usable_records\":1},"
	  "\"addresses\":[{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"dane\":{\"state\":\"valid\"},"
	  "\"tls\":{\"version\":\"TLSv1.3\",\"verified\":true,\"name_match\":true}}]},"
	  "{\"host\":\"mx2.example.org\",\"addresses\":[" GOOD_ADDR "]}]",
	  "A", NULL, "A", "A", NULL },
	{ "A+ receiving with a weaker area: overall is that area's grade",
	  "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"insecure\"},\"mta_sts\":{\"mode\":\"enforce\"}}," MX(GOOD_ADDR),
	  "B", NULL, "A+", "B", "dns.mx.dnssec_insecure" },
	{ "TLSA behind an unsigned MX RRset: not applied, no A+, capped at B",
	  DNS("insecure") ",\"mx\":[{\"host\":\"mx.example.org\",\"dane\":{\"outcome\":\"secure\",\"usable_records\":1,"
	  "\"senders_look_up\":false,\"applies\":false,\"findings\":[{\"id\":\"dane.mx_insecure\",\"severity\":\"critical\"}]},"
	  "\"addresses\":[{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"ok\",\"dane\":{\"state\":\"not_applicable\","
	  "\"if_applied\":{\"state\":\"valid\"}},\"tls\":{\"version\":\"TLSv1.3\",\"verified\":true,\"name_match\":true}}]}]",
	  "B", NULL, "B", "B", "dane.mx_insecure" },
	{ "bogus TLSA no sender looks up (unsigned MX RRset) is no dane.bogus F",
	  DNS("insecure") ",\"mx\":[{\"host\":\"mx.example.org\",\"dane\":{\"outcome\":\"bogus\",\"usable_records\":0,"
	  "\"senders_look_up\":false},\"addresses\":[" GOOD_ADDR "]}]",
	  "B", NULL, "A", "B", "dns.mx.dnssec_insecure" },
	{ "bogus TLSA senders do look up is an F",
	  DNS("secure") ",\"mx\":[{\"host\":\"mx.example.org\",\"dane\":{\"outcome\":\"bogus\",\"usable_records\":0,"
	  "\"senders_look_up\":true},\"addresses\":[" GOOD_ADDR "]}]",
	  "F", NULL, "F", "A", "dane.bogus" },
	{ "no STARTTLS on one of two hosts is still an F",
	  DNS("secure") ",\"mx\":[{\"host\":\"mx.example.org\",\"addresses\":[" GOOD_ADDR "]},"
	  "{\"host\":\"mx2.example.org\",\"addresses\":[{\"ip\":\"192.0.2.2\",\"state\":\"tested\",\"starttls\":\"not_offered\"}]}]",
	  "F", NULL, "F", "A", "smtp.starttls.missing" },
	{ "one host not testable, the other good: graded on the tested one",
	  DNS("secure") ",\"mx\":[{\"host\":\"mx.example.org\",\"addresses\":[" GOOD_ADDR "]},"
	  "{\"host\":\"mx2.example.org\",\"addresses\":[{\"ip\":\"192.0.2.2\",\"state\":\"not_tested\",\"reason\":\"421 greeting\"}]}]",
	  "A", NULL, "A", "A", NULL },
	{ "null MX: receiving not graded",
	  "\"dns\":{\"mx\":{\"outcome\":\"ok\",\"dnssec\":\"secure\",\"null_mx\":true}},\"mx\":[]",
	  "A", NULL, NULL, "A", NULL },
};

static const char *sub(const json_t *g, const char *k)
{
	return json_string_value(json_object_get(g, k));
}

/* same - both NULL or equal strings. */
static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

TEST(grading_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[2048];
		json_error_t jerr;
		snprintf(text, sizeof(text), "{\"format\":1,\"domain\":\"example.org\",%s}", cases[i].report);
		json_t *rep = json_loads(text, 0, &jerr);
		if (rep == NULL) {
			printf("#   case \"%s\": bad JSON: %s\n", cases[i].name, jerr.text);
			CHECK(rep != NULL);
			continue;
		}
		report_assess(rep);
		json_t *g = json_object_get(rep, "grade");
		int good = same(sub(g, "overall"), cases[i].overall) &&
			   same(sub(g, "sending"), cases[i].sending) &&
			   same(sub(g, "receiving"), cases[i].receiving) &&
			   same(sub(g, "policy"), cases[i].policy) &&
			   same(sub(g, "overall_capped_by"), cases[i].capped_by);
		if (!good) {
			char *dump = json_dumps(g, JSON_COMPACT);
			printf("#   case \"%s\": %s\n", cases[i].name, dump);
			free(dump);
		}
		CHECK(good);
		json_decref(rep);
	}
}

TEST(not_graded_areas_say_why)
{
	json_t *rep = json_loads("{\"format\":1," DNS("secure") "," MX("{\"ip\":\"10.0.0.1\",\"state\":\"not_tested\",\"reason\":\"private\"}") "}", 0, NULL);
	report_assess(rep);
	json_t *ng = json_object_get(json_object_get(rep, "grade"), "not_graded");
	CHECK(strstr(sub(ng, "sending") ?: "", "domain-only check") != NULL);
	CHECK(strstr(sub(ng, "receiving") ?: "", "no MX address could be tested") != NULL);
	json_decref(rep);
}

TEST(top_fixes_are_the_worst_three_distinct)
{
	json_t *rep = json_loads("{\"format\":1,\"message\":{\"tls\":null,\"spf\":{\"result\":\"fail\"},\"dkim\":[]},"
				 DNS("insecure") "," MX("{\"ip\":\"192.0.2.1\",\"state\":\"tested\",\"starttls\":\"not_offered\"},"
				 "{\"ip\":\"192.0.2.2\",\"state\":\"tested\",\"starttls\":\"not_offered\"}") "}", 0, NULL);
	report_assess(rep);
	json_t *fixes = json_object_get(json_object_get(rep, "grade"), "top_fixes");
	CHECK_INT(json_array_size(fixes), 3);
	/* Criticals first (two addresses without STARTTLS count once), then warnings. */
	CHECK_STR(sub(json_array_get(fixes, 0), "id"), "smtp.starttls.missing");
	CHECK_STR(sub(json_array_get(fixes, 1), "id"), "spf.fail");
	CHECK_STR(sub(json_array_get(fixes, 2), "severity"), "warning");
	json_decref(rep);
}

TEST(stored_severity_cannot_promote_a_report)
{
	/* A finding claiming "ok" for a critical id is graded as the catalogue says. */
	json_t *rep = json_loads("{\"format\":1," DNS("secure") ",\"mx\":[{\"host\":\"m\",\"addresses\":[{\"state\":\"not_tested\","
				 "\"findings\":[{\"id\":\"dns.mx.unreachable\",\"severity\":\"ok\"}]}]}]}", 0, NULL);
	report_assess(rep);
	CHECK_STR(sub(json_object_get(rep, "grade"), "receiving"), "F");
	json_decref(rep);
}

TEST(assessing_twice_changes_nothing)
{
	json_t *rep = json_loads("{\"format\":1," DNS("secure") "," MX(GOOD_ADDR) "}", 0, NULL);
	report_assess(rep);
	char *once = json_dumps(rep, JSON_SORT_KEYS);
	report_assess(rep);
	char *twice = json_dumps(rep, JSON_SORT_KEYS);
	CHECK_STR(twice, once);
	free(once);
	free(twice);
	json_decref(rep);
}

int main(void)
{
	RUN(grading_table);
	RUN(not_graded_areas_say_why);
	RUN(top_fixes_are_the_worst_three_distinct);
	RUN(stored_severity_cannot_promote_a_report);
	RUN(assessing_twice_changes_nothing);
	return harness_done();
}
