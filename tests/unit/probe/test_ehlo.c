/* test_ehlo.c - EHLO extension lines (RFC 5321 4.1.1.1) into facts:
 * SIZE with and without its number, the flag extensions, AUTH in both
 * forms, other keywords listed, malformed lines reported with the text. */
#include <stdlib.h>
#include "harness.h"
#include "probe/ehlo.h"

static json_t *parse(const char *const *lines, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(lines[i]));
	json_t *e = ehlo_extensions(arr, "ehlo_after_tls");
	json_decref(arr);
	return e;
}

static int flag(const json_t *e, const char *k)
{
	return json_is_true(json_object_get(e, k));
}

TEST(postfix_extensions)
{
	static const char *const l[] = { "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
		"AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING" };
	json_t *e = parse(l, sizeof(l) / sizeof(l[0]));
	CHECK_STR(json_string_value(json_object_get(e, "from")), "ehlo_after_tls");
	CHECK_INT(json_integer_value(json_object_get(e, "size_limit")), 10240000);
	CHECK(flag(e, "pipelining") && flag(e, "starttls") && flag(e, "enhancedstatuscodes"));
	CHECK(flag(e, "8bitmime") && flag(e, "dsn") && flag(e, "smtputf8") && flag(e, "chunking"));
	CHECK(!flag(e, "requiretls") && !flag(e, "binarymime"));
	const json_t *auth = json_object_get(e, "auth");
	CHECK_INT(json_array_size(auth), 2);
	CHECK_STR(json_string_value(json_array_get(auth, 0)), "PLAIN");
	CHECK_STR(json_string_value(json_array_get(auth, 1)), "LOGIN");
	const json_t *other = json_object_get(e, "other");
	CHECK_INT(json_array_size(other), 2);
	CHECK_STR(json_string_value(json_array_get(other, 0)), "VRFY");
	CHECK_INT(json_array_size(json_object_get(e, "keywords")), 11);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(e, "keywords"), 1),
						    "params")), "10240000");
	CHECK_INT(json_array_size(json_object_get(e, "problems")), 0);
	json_decref(e);
}

TEST(size_forms_and_case)
{
	static const struct { const char *line; long long limit; int problem; } t[] = {
		{ "SIZE", 0, 0 },		/* announced, no fixed limit (RFC 1870) */
		{ "SIZE 0", 0, 0 },
		{ "size 52428800", 52428800, 0 },
		{ "SIZE   35882577", 35882577, 0 },
		{ "SIZE ten", -1, 1 },
		{ "SIZE 1e9", -1, 1 },
		{ "SIZE 99999999999999999999", -1, 1 },	/* no overflow into a number */
		{ "SIZE -1", -1, 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *e = parse(&t[i].line, 1);
		const json_t *s = json_object_get(e, "size_limit");
		if (t[i].limit < 0)
			CHECK(json_is_null(s));
		else
			CHECK_INT(json_integer_value(s), t[i].limit);
		CHECK_INT(json_array_size(json_object_get(e, "problems")), (size_t)t[i].problem);
		if (t[i].problem)
			CHECK(strstr(json_string_value(json_array_get(json_object_get(e, "problems"), 0)),
				     t[i].line) != NULL);
		json_decref(e);
	}
}

TEST(requiretls_legacy_auth_and_garbage)
{
	static const char *const l[] = { "REQUIRETLS", "AUTH=LOGIN PLAIN", "AUTH PLAIN CRAM-MD5",
		"-BAD", "X_UNDERSCORE", "", "BINARYMIME", "XFORWARD NAME ADDR" };
	json_t *e = parse(l, sizeof(l) / sizeof(l[0]));
	CHECK(flag(e, "requiretls") && flag(e, "binarymime"));
	const json_t *auth = json_object_get(e, "auth");
	CHECK_INT(json_array_size(auth), 3);	/* LOGIN PLAIN CRAM-MD5, once each */
	CHECK_STR(json_string_value(json_array_get(auth, 2)), "CRAM-MD5");
	const json_t *p = json_object_get(e, "problems");
	CHECK_INT(json_array_size(p), 3);
	CHECK_STR(json_string_value(json_array_get(p, 0)), "line 5: not an EHLO keyword: \"-BAD\"");
	CHECK_STR(json_string_value(json_array_get(json_object_get(e, "other"), 0)), "XFORWARD");
	CHECK(json_is_null(json_object_get(e, "size_limit")));
	json_decref(e);
}

TEST(lines_are_bounded)
{
	json_t *arr = json_array();
	for (int i = 0; i < 500; i++)
		json_array_append_new(arr, json_string("X-FILLER"));
	json_array_append_new(arr, json_integer(5));	/* not a string: skipped */
	json_t *e = ehlo_extensions(arr, NULL);
	CHECK_STR(json_string_value(json_object_get(e, "from")), "ehlo");
	CHECK_INT(json_array_size(json_object_get(e, "keywords")), EHLO_EXTENSIONS_MAX);
	CHECK_INT(json_array_size(json_object_get(e, "problems")), 1);
	json_decref(e);
	json_decref(arr);
	e = ehlo_extensions(NULL, "ehlo");
	CHECK(e != NULL && json_array_size(json_object_get(e, "keywords")) == 0);
	json_decref(e);
}

int main(void)
{
	RUN(postfix_extensions);
	RUN(size_forms_and_case);
	RUN(requiretls_legacy_auth_and_garbage);
	RUN(lines_are_bounded);
	return harness_done();
}
