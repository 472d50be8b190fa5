/*
 * test_finding.c - the findings catalogue is complete and well-formed, and
 * finding_add writes the documented shape.
 */
#include <ctype.h>
#include <string.h>

#include "harness.h"
#include "mail/finding.h"

/* id_ok - lowercase dotted words: area.thing[.detail], at least two parts. */
static int id_ok(const char *id)
{
	int dots = 0;
	if (!islower((unsigned char)id[0]))
		return 0;
	for (const char *p = id; *p; p++) {
		if (*p == '.') {
			dots++;
			if (p[1] == '\0' || p[1] == '.')
				return 0;
		} else if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_') {
			return 0;
		}
	}
	return dots >= 1;
}

TEST(every_entry_is_complete_and_unique)
{
	size_t n = 0;
	for (const finding_def_t *d; (d = finding_at(n)) != NULL; n++) {
		if (!id_ok(d->id))
			printf("#   bad id \"%s\"\n", d->id);
		CHECK(id_ok(d->id));
		const char *texts[] = { d->title, d->meaning, d->why, d->fix, d->reference };
		for (size_t k = 0; k < 5; k++) {
			if (texts[k] == NULL || strlen(texts[k]) < 3)
				printf("#   %s: text %zu is empty\n", d->id, k);
			CHECK(texts[k] != NULL && strlen(texts[k]) >= 3);
		}
		CHECK(d->cap == 0 || (d->cap >= 'A' && d->cap <= 'F' && d->cap != 'E'));
		CHECK(finding_lookup(d->id) == d);	/* first and only entry with this id */
	}
	CHECK(n >= 2);
}

TEST(finding_add_writes_documented_shape)
{
	json_t *obj = json_object();
	finding_add(obj, "smtp.starttls.missing", "mx1.example 192.0.2.1", "EHLO lists %d keywords",
		    3);
	finding_add(obj, "smtp.starttls.offered", NULL, "banner \x1b[31m");
	json_t *list = json_object_get(obj, "findings");
	CHECK_INT(json_array_size(list), 2);
	json_t *f = json_array_get(list, 0);
	CHECK_STR(json_string_value(json_object_get(f, "id")), "smtp.starttls.missing");
	CHECK_STR(json_string_value(json_object_get(f, "severity")), "critical");
	CHECK_STR(json_string_value(json_object_get(f, "subject")), "mx1.example 192.0.2.1");
	CHECK_STR(json_string_value(json_object_get(f, "detail")), "EHLO lists 3 keywords");
	f = json_array_get(list, 1);
	CHECK(json_is_null(json_object_get(f, "subject")));
	CHECK_STR(json_string_value(json_object_get(f, "detail")), "banner \\x1b[31m");
	json_decref(obj);
}

int main(void)
{
	RUN(every_entry_is_complete_and_unique);
	RUN(finding_add_writes_documented_shape);
	return harness_done();
}
