/*
 * spf_policy.c - the domain's own SPF policy (see spf_policy.h).
 */
#include <stdio.h>
#include <string.h>

#include "analysis/spf_policy.h"
#include "mail/finding.h"

/* copy - o[key] = from[key], when from has it. */
static void copy(json_t *o, const json_t *from, const char *key, const char *as)
{
	json_t *v = json_object_get(from, key);
	if (v != NULL)
		json_object_set(o, as ? as : key, v);
}

json_t *spf_policy_check(spf_sandbox_t *sb, const char *domain)
{
	char sender[300];
	snprintf(sender, sizeof(sender), "postmaster@%.253s", domain);
	json_t *r = spf_sandbox_run(sb, SPF_POLICY_UNLISTED, NULL, sender);
	const char *result = json_string_value(json_object_get(r, "result"));
	const char *expl = json_string_value(json_object_get(r, "explanation"));
	long long records = json_integer_value(json_object_get(r, "records"));
	long long lookups = json_integer_value(json_object_get(r, "lookups"));
	long long voids = json_integer_value(json_object_get(r, "void_lookups"));
	const char *outcome = result == NULL ? "temperror"
			    : strcmp(result, "none") == 0 && records == 0 ? "none"
			    : strcmp(result, "permerror") == 0 ? "invalid"
			    : strcmp(result, "temperror") == 0 ? "temperror" : "found";

	json_t *o = json_object();
	copy(o, r, "domain", NULL);
	json_object_set_new(o, "outcome", json_string(outcome));
	copy(o, r, "record", NULL);
	copy(o, r, "records", NULL);
	copy(o, r, "lookups", NULL);
	copy(o, r, "lookup_limit", NULL);
	copy(o, r, "void_lookups", NULL);
	json_object_set_new(o, "unlisted_address", json_string(SPF_POLICY_UNLISTED));
	copy(o, r, "result", "unlisted_result");
	copy(o, r, "mechanism", "unlisted_mechanism");
	if (strcmp(outcome, "invalid") == 0 || strcmp(outcome, "temperror") == 0)
		copy(o, r, "explanation", "problem");

	if (strcmp(outcome, "none") == 0)
		finding_add(o, "spf.policy_missing", domain, NULL);
	else if (strcmp(outcome, "invalid") == 0)
		finding_add(o, "spf.policy_invalid", domain, "%s (%lld lookups, %lld void, %lld records)",
			    expl ? expl : "permerror", lookups, voids, records);
	else if (strcmp(outcome, "found") == 0 && strcmp(result, "pass") == 0)
		finding_add(o, "spf.policy_open", domain, "%s passes: %s", SPF_POLICY_UNLISTED,
			    json_string_value(json_object_get(r, "mechanism")) ?: "the record");
	else if (strcmp(outcome, "found") == 0 && (strcmp(result, "neutral") == 0 ||
						   strcmp(result, "none") == 0))
		finding_add(o, "spf.policy_neutral", domain, "an unlisted address gets %s", result);
	else if (strcmp(outcome, "found") == 0)
		finding_add(o, "spf.policy_ok", domain, "an unlisted address gets %s", result);
	json_decref(r);
	return o;
}
