/*
 * greeting.c - the 220 greeting's own findings (see greeting.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/finding.h"
#include "probe/greeting.h"

int greeting_masked(const char *g)
{
	/* Only the first line: inspection masks the text after the code. */
	size_t stars = 0, other = 0;
	const char *p = g;
	if (strlen(g) < 4)
		return 0;
	for (p = g + 4; *p && *p != '\n'; p++) {
		if (*p == '*')
			stars++;
		else if (!isspace((unsigned char)*p))
			other++;
	}
	return stars >= 8 && stars >= other;
}

int greeting_host(const char *g, char *out, size_t outlen)
{
	size_t n = 0;
	if (strlen(g) < 5 || (g[3] != ' ' && g[3] != '-'))
		return -1;
	for (const char *p = g + 4; *p && !isspace((unsigned char)*p) && n + 1 < outlen; p++)
		out[n++] = *p;
	out[n] = '\0';
	if (n > 1 && out[n - 1] == '.')
		out[--n] = '\0';
	return n > 0 && strchr(out, '.') != NULL ? 0 : -1;
}

void greeting_assess(json_t *addr, const char *mx)
{
	const char *g = json_string_value(json_object_get(addr, "greeting"));
	const char *ip = json_string_value(json_object_get(addr, "ip"));
	char subject[320], name[256];
	if (g == NULL || strncmp(g, "220", 3) != 0)
		return;
	snprintf(subject, sizeof(subject), "%.253s %.46s", mx, ip ? ip : "?");
	if (greeting_masked(g)) {
		finding_add(addr, "smtp.greeting.masked", subject, "%.200s", g);
		return;
	}
	if (greeting_host(g, name, sizeof(name)) != 0 || strcasecmp(name, mx) == 0)
		return;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(json_object_get(addr, "ptr"), "names"), i, p)
		if (json_string_value(p) && strcasecmp(name, json_string_value(p)) == 0)
			return;
	finding_add(addr, "smtp.greeting.host_mismatch", subject, "greeting names %s", name);
}
