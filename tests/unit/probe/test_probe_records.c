/* test_probe_records.c - TLS-RPT records (RFC 8460 3), TXT rdata decoding,
 * greeting masks and names, MX targets written as IP addresses, and the
 * jobs the worker refuses before probing. */
#include <stdlib.h>
#include "harness.h"
#include "probe/greeting.h"
#include "probe/mx.h"
#include "probe/probe.h"
#include "probe/tlsrpt.h"
#include "probe/txt.h"

TEST(tlsrpt_records)
{
	static const struct { const char *txt; int valid; int rua; const char *problem; } t[] = {
		{ "v=TLSRPTv1; rua=mailto:tlsrpt@example.org", 1, 1, NULL },
		{ "v=TLSRPTv1;rua=mailto:a@example.org,https://r.example.org/tlsrpt;", 1, 2, NULL },
		{ "v=TLSRPTv1; rua=ftp://example.org/x", 0, 0,
		  "rua must list mailto: or https: URIs: \"ftp://example.org/x\"" },
		{ "v=TLSRPTv1", 0, 0, "no rua= field (where to send reports)" },
		{ "v=TLSRPTv2; rua=mailto:a@example.org", 0, 1,
		  "the record must start with v=TLSRPTv1: \"v\"" },
		{ "v=TLSRPTv1; rua=mailto:", 0, 0, "rua must list mailto: or https: URIs: \"mailto:\"" },
		{ "v=TLSRPTv1; rua=mailto:a@b; rua=mailto:c@d", 0, 1, "rua given twice: \"mailto:c@d\"" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *p = tlsrpt_parse(t[i].txt, strlen(t[i].txt));
		CHECK_INT(json_is_true(json_object_get(p, "valid")), t[i].valid);
		CHECK_INT(json_array_size(json_object_get(p, "rua")), t[i].rua);
		if (t[i].problem)
			CHECK_STR(json_string_value(json_array_get(json_object_get(p, "problems"), 0)),
				  t[i].problem);
		json_decref(p);
	}
}

TEST(txt_rdata_decoding)
{
	size_t len = 0;
	const unsigned char two[] = { 3, 'a', 'b', 'c', 2, 'd', 'e' };
	char *s = txt_decode(two, sizeof(two), 100, &len);
	CHECK_STR(s, "abcde");
	CHECK_INT(len, 5);
	free(s);
	const unsigned char overrun[] = { 9, 'a', 'b' };
	CHECK(txt_decode(overrun, sizeof(overrun), 100, &len) == NULL);
	CHECK(txt_decode(two, sizeof(two), 4, &len) == NULL);	/* over the bound */
	const unsigned char empty[] = { 0 };
	s = txt_decode(empty, 1, 100, &len);
	CHECK_STR(s, "");
	free(s);
}

TEST(greeting_masks_and_names)
{
	CHECK(greeting_masked("220 ***********************************"));
	CHECK(greeting_masked("220 ****************************2*0**0***0****0\nmore"));
	CHECK(!greeting_masked("220 mx.example.org ESMTP *** no UCE ***"));
	CHECK(!greeting_masked("220 mx.example.org ESMTP Postfix"));
	char name[256];
	CHECK_INT(greeting_host("220 mx1.example.org ESMTP", name, sizeof(name)), 0);
	CHECK_STR(name, "mx1.example.org");
	CHECK_INT(greeting_host("220-mx1.example.org. ESMTP\n220 hi", name, sizeof(name)), 0);
	CHECK_STR(name, "mx1.example.org");
	CHECK_INT(greeting_host("220 ESMTP ready", name, sizeof(name)), -1);
}

TEST(mx_targets_that_are_ip_addresses)
{
	CHECK(mx_ip_literal("192.0.2.1"));
	CHECK(mx_ip_literal("10.0.0.1."));
	CHECK(!mx_ip_literal("192.0.2"));
	CHECK(!mx_ip_literal("1.2.3.4.example.org"));
	CHECK(!mx_ip_literal("mx1.example.org"));
	CHECK(!mx_ip_literal("1234.0.0.1"));
}

/* A job that can never be probed is dropped, not retried until it goes to
 * the dead-letter stream (docs/report-format.md, the job). */
TEST(jobs_the_worker_refuses)
{
	static const struct { const char *json; const char *problem; } t[] = {
		{ "{\"format\":1,\"kind\":\"domain\",\"domain\":\"sender.test\",\"reply_to\":null}", NULL },
		{ "{\"format\":1,\"domain\":\"sender.test\",\"reply_to\":\"a@sender.test\","
		  "\"message\":{}}", NULL },
		{ "[1]", "record is not a JSON object" },
		{ "{\"format\":2,\"domain\":\"sender.test\"}", "record format 2 is not the supported format 1" },
		{ "{\"format\":1}", "job has no \"domain\" string" },
		{ "{\"format\":1,\"domain\":\"\"}", "job has no \"domain\" string" },
		{ "{\"format\":1,\"domain\":\"a b.test\"}", "job's \"domain\" is not a domain name" },
		{ "{\"format\":1,\"domain\":\"<script>.test\"}", "job's \"domain\" is not a domain name" },
		{ "{\"format\":1,\"domain\":\"sender.test\",\"message\":\"x\"}",
		  "job's \"message\" is not an object" },
		{ "{\"format\":1,\"domain\":\"sender.test\",\"reply_to\":3}",
		  "job's \"reply_to\" is neither a string nor null" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[128];
		json_t *job = json_loads(t[i].json, 0, NULL);
		const char *got = probe_job_problem(job, buf, sizeof(buf));
		if (t[i].problem == NULL)
			CHECK(got == NULL);
		else
			CHECK_STR(got, t[i].problem);
		json_decref(job);
	}
}

int main(void)
{
	RUN(tlsrpt_records);
	RUN(txt_rdata_decoding);
	RUN(greeting_masks_and_names);
	RUN(mx_targets_that_are_ip_addresses);
	RUN(jobs_the_worker_refuses);
	return harness_done();
}
