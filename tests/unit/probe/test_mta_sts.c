/* test_mta_sts.c - the MTA-STS record and policy parsers and MX matching
 * (RFC 8461 3.1, 3.2, 4.1), table-driven. */
#include <stdlib.h>
#include "harness.h"
#include "probe/mta_sts.h"

static json_t *parse(const char *s)
{
	return mta_sts_policy_parse(s, strlen(s));
}

static int valid(const json_t *p)
{
	return json_is_true(json_object_get(p, "valid"));
}

static const char *problem0(const json_t *p)
{
	return json_string_value(json_array_get(json_object_get(p, "problems"), 0));
}

TEST(record_valid_and_invalid)
{
	static const struct { const char *txt; int ok; const char *id; } t[] = {
		{ "v=STSv1; id=20261122", 0, "20261122" },
		{ "v=STSv1;id=abc123;", 0, "abc123" },
		{ "v=STSv1 ; id=a ; ext=value", 0, "a" },
		{ "v=STSv2; id=1", -1, "" },
		{ "id=1; v=STSv1", -1, "" },
		{ "v=STSv1", -1, "" },
		{ "v=STSv1; id=", -1, "" },
		{ "v=STSv1; id=has-dash", -1, "" },
		{ "v=STSv1; id=123456789012345678901234567890123", -1, "" },
		{ "v=STSv1; garbage", -1, "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char id[40], prob[300];
		int rc = mta_sts_record_parse(t[i].txt, strlen(t[i].txt), id, sizeof(id), prob, sizeof(prob));
		CHECK_INT(rc, t[i].ok);
		CHECK_STR(id, t[i].id);
		if (rc != 0)
			CHECK(prob[0] != '\0');
	}
}

/* RFC 8461 3.1: which TXT records of _mta-sts are MTA-STS records at all. */
TEST(record_is_sts_needs_the_whole_version)
{
	static const struct { const char *txt; int sts; } t[] = {
		{ "v=STSv1; id=1", 1 },
		{ "v=STSv1;id=1", 1 },
		{ "v=STSv1 ; id=1", 1 },
		{ "v=STSv1\t; id=1", 1 },
		{ "v=STSv1", 1 },		/* an STS record, invalid for want of id */
		{ "v=STSv10; id=1", 0 },
		{ "v=STSv1x; id=1", 0 },
		{ "v=STSv2; id=1", 0 },
		{ "v=stsv1; id=1", 0 },		/* case-sensitive (%s in the ABNF) */
		{ " v=STSv1; id=1", 0 },
		{ "v=STS", 0 },
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = mta_sts_record_is_sts(t[i].txt, strlen(t[i].txt));
		CHECK_INT(got, t[i].sts);
		if (got != t[i].sts)
			printf("#   \"%s\"\n", t[i].txt);
	}
}

TEST(policy_enforce_parsed)
{
	json_t *p = parse("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\n"
			  "mx: *.Backup.Example.org\r\nmax_age: 604800\r\n");
	CHECK(valid(p));
	CHECK_STR(json_string_value(json_object_get(p, "mode")), "enforce");
	CHECK_INT(json_integer_value(json_object_get(p, "max_age")), 604800);
	CHECK_INT(json_array_size(json_object_get(p, "mx")), 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(p, "mx"), 1)), "*.backup.example.org");
	json_decref(p);
}

TEST(policy_lf_only_and_extensions_accepted)
{
	json_t *p = parse("version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age:86400\nfoo_bar: x y\n");
	CHECK(valid(p));
	CHECK_STR(json_string_value(json_object_get(p, "mode")), "testing");
	json_decref(p);
	p = parse("version: STSv1\nmode: none\nmax_age: 0");
	CHECK(valid(p));	/* no mx needed with mode none */
	json_decref(p);
}

TEST(policy_syntax_errors_name_the_line)
{
	static const struct { const char *text; const char *problem; } t[] = {
		{ "version: STSv1\nmode: enforced\nmx: a.example\nmax_age: 1\n",
		  "line 2: mode must be enforce, testing or none: \"mode: enforced\"" },
		{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 99999999999\n",
		  "line 4: max_age must be a number of seconds up to 31557600: \"max_age: 99999999999\"" },
		{ "version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n",
		  "line 3: mx must be a host name, optionally starting with \"*.\": \"mx: a.*.example\"" },
		{ "version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n",
		  "line 2: not a \"key: value\" line: \"mode enforce\"" },
		{ "version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 1\n",
		  "line 2: empty line: \"\"" },
		{ "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
		  "line 1: version must be STSv1: \"version: STSv2\"" },
		{ "version: STSv1\nmode: enforce\nmax_age: 1\n",
		  "no \"mx:\" line (required unless mode is none)" },
		{ "version: STSv1\nmode: enforce\nmx: a.example\x1b[31m\nmax_age: 1\n",
		  "line 3: mx must be a host name, optionally starting with \"*.\": \"mx: a.example\\x1b[31m\"" },
		{ "<html>404 Not Found</html>", "line 1: not a \"key: value\" line: \"<html>404 Not Found</html>\"" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *p = parse(t[i].text);
		CHECK(!valid(p));
		CHECK_STR(problem0(p), t[i].problem);
		json_decref(p);
	}
}

TEST(policy_size_is_bounded)
{
	size_t n = 3 * MTA_STS_POLICY_MAX;
	char *big = malloc(n);
	memset(big, 'a', n);
	json_t *p = mta_sts_policy_parse(big, n);
	CHECK(!valid(p));
	CHECK(json_array_size(json_object_get(p, "problems")) <= 24);
	json_decref(p);
	free(big);
}

TEST(mx_patterns_match_by_rfc8461_rules)
{
	static const struct { const char *pattern, *host; int match; } t[] = {
		{ "mx1.example.org", "mx1.example.org", 1 },
		{ "mx1.example.org", "MX1.Example.Org.", 1 },
		{ "*.example.org", "mx1.example.org", 1 },
		{ "*.example.org", "a.b.example.org", 0 },	/* one label only */
		{ "*.example.org", "example.org", 0 },
		{ "*.example.org", ".example.org", 0 },
		{ "mx1.example.org", "mx2.example.org", 0 },
		{ "example.org", "mx.example.org", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int m = mta_sts_mx_match(t[i].pattern, t[i].host);
		if (m != t[i].match)
			printf("#   pattern %s host %s\n", t[i].pattern, t[i].host);
		CHECK_INT(m, t[i].match);
	}
}

int main(void)
{
	RUN(record_valid_and_invalid);
	RUN(record_is_sts_needs_the_whole_version);
	RUN(policy_enforce_parsed);
	RUN(policy_lf_only_and_extensions_accepted);
	RUN(policy_syntax_errors_name_the_line);
	RUN(policy_size_is_bounded);
	RUN(mx_patterns_match_by_rfc8461_rules);
	return harness_done();
}
