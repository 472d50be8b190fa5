/*
 * test_message_limits.c - how much of a test message is read: header
 * fields over max_headers or max_header_bytes are counted, not read; body
 * bytes over max_body_bytes are not hashed; DKIM signatures the cut leaves
 * unverifiable become neutral with the reason, and the report says so.
 */
#include <string.h>
#include "harness.h"
#include "findings_check.h"
#include "analysis/message_limits.h"


TEST(headers_over_count_or_size_are_counted_not_read)
{
	message_limits_t l;
	char big[200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	message_limits_set(&l, 3, 100, 0);
	CHECK_INT(message_limits_header(&l, "From", "a@b.test"), 1);
	CHECK_INT(message_limits_header(&l, "Subject", big), 0);	/* 209 bytes > 100 */
	CHECK_INT(message_limits_header(&l, "To", "c@d.test"), 1);
	CHECK_INT(message_limits_header(&l, "Date", "x"), 0);		/* the fourth field */
	CHECK_INT(l.headers, 4);
	CHECK_INT(l.headers_not_read, 2);
	CHECK_INT(l.longest_header, (long long)strlen("Subject: ") + 199);
	json_t *o = message_limits_json(&l);
	CHECK(has_finding(o, "message.limits.headers"));
	CHECK(!has_finding(o, "message.limits.body"));
	CHECK_INT(json_integer_value(json_object_get(o, "headers_not_read")), 2);
	json_decref(o);
}

TEST(body_over_the_limit_is_not_hashed)
{
	message_limits_t l;
	message_limits_set(&l, 0, 0, 100);
	CHECK_INT(message_limits_body(&l, 60), 60);
	CHECK_INT(message_limits_body(&l, 60), 40);
	CHECK_INT(message_limits_body(&l, 60), 0);
	CHECK_INT(l.body_bytes, 180);
	CHECK_INT(l.body_bytes_read, 100);
	json_t *o = message_limits_json(&l);
	CHECK(has_finding(o, "message.limits.body"));
	json_decref(o);
	/* no limit: everything is read, nothing reported */
	message_limits_set(&l, 0, 0, 0);
	CHECK_INT(message_limits_body(&l, 1 << 20), 1 << 20);
	o = message_limits_json(&l);
	CHECK_INT(json_array_size(json_object_get(o, "findings")), 0);
	json_decref(o);
}

TEST(dkim_signatures_the_cut_leaves_unverifiable_are_neutral)
{
	message_limits_t l;
	message_limits_set(&l, 0, 0, 100);
	message_limits_body(&l, 500);
	json_t *dkim = json_pack("[{ss ss sn} {ss ss si}]", "domain", "a.test", "result", "fail",
				 "body_length", "domain", "b.test", "result", "pass", "body_length", 80);
	message_limits_dkim(&l, dkim);
	json_t *whole = json_array_get(dkim, 0), *part = json_array_get(dkim, 1);
	CHECK_STR(json_string_value(json_object_get(whole, "result")), "neutral");
	CHECK(strstr(json_string_value(json_object_get(whole, "reason")),
		     "the body has 500 bytes and only the first 100 were read") != NULL);
	/* l=80 lies within the 100 bytes read: its verdict stands */
	CHECK_STR(json_string_value(json_object_get(part, "result")), "pass");
	json_decref(dkim);

	message_limits_set(&l, 1, 0, 0);
	message_limits_header(&l, "DKIM-Signature", "v=1");
	message_limits_header(&l, "From", "a@a.test");
	dkim = json_pack("[{ss ss}]", "domain", "a.test", "result", "fail");
	message_limits_dkim(&l, dkim);
	CHECK_STR(json_string_value(json_object_get(json_array_get(dkim, 0), "result")), "neutral");
	CHECK(strstr(json_string_value(json_object_get(json_array_get(dkim, 0), "reason")),
		     "1 header field over") != NULL);
	json_decref(dkim);

	/* nothing over a limit: results untouched */
	message_limits_set(&l, 10, 1000, 1000);
	message_limits_body(&l, 10);
	dkim = json_pack("[{ss ss}]", "domain", "a.test", "result", "fail");
	message_limits_dkim(&l, dkim);
	CHECK_STR(json_string_value(json_object_get(json_array_get(dkim, 0), "result")), "fail");
	json_decref(dkim);
}

/* A field too long for the DKIM verifier: signatures whose h= covers it
 * are neutral with the reason, others keep their verdict; reported. */
TEST(a_field_too_long_for_dkim_is_counted)
{
	message_limits_t l;
	message_limits_set(&l, 0, 0, 0);
	CHECK_INT(message_limits_header(&l, "Subject", "huge"), 1);
	message_limits_dkim_skip(&l, "Subject", 70010);
	json_t *dkim = json_pack("[{ss ss s[ss]} {ss ss s[s]}]", "domain", "a.test", "result", "fail",
				 "headers", "from", "subject", "domain", "b.test", "result", "pass",
				 "headers", "from");
	message_limits_dkim(&l, dkim);
	json_t *over = json_array_get(dkim, 0), *other = json_array_get(dkim, 1);
	CHECK_STR(json_string_value(json_object_get(over, "result")), "neutral");
	CHECK(strstr(json_string_value(json_object_get(over, "reason")) ?: "",
		     "the signed subject field has 70010 bytes, more than the 65535") != NULL);
	CHECK_STR(json_string_value(json_object_get(other, "result")), "pass");
	json_decref(dkim);
	json_t *o = message_limits_json(&l);
	CHECK(has_finding(o, "message.limits.headers"));
	CHECK_INT(json_integer_value(json_object_get(o, "dkim_fields_too_long")), 1);
	json_decref(o);
}

int main(void)
{
	RUN(a_field_too_long_for_dkim_is_counted);
	RUN(headers_over_count_or_size_are_counted_not_read);
	RUN(body_over_the_limit_is_not_hashed);
	RUN(dkim_signatures_the_cut_leaves_unverifiable_are_neutral);
	return harness_done();
}
