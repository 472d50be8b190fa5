/*
 * greeting.h - what a probed address's 220 greeting says about it: a
 * greeting masked with asterisks (a firewall's SMTP inspection, which
 * breaks ESMTP and STARTTLS), and whether it names the MX host.
 *
 * Reads only the address object smtp_probe made ("greeting", already
 * printable); adds findings to it.
 */
#ifndef MXRAY_PROBE_GREETING_H
#define MXRAY_PROBE_GREETING_H

#include <jansson.h>

/* greeting_masked - 1 if a greeting line is masked: after the code, at
 * least half of its non-space characters, and at least 8, are '*'. */
int greeting_masked(const char *greeting);
/* greeting_host - the host name a greeting announces (its first word after
 * the code) into out; 0, or -1 if there is none. */
int greeting_host(const char *greeting, char *out, size_t outlen);
/* greeting_assess - findings of one address object of MX host mx (its
 * "ptr" names, when present, also count as a match). */
void greeting_assess(json_t *addr, const char *mx);

#endif
