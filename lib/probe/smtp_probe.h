/*
 * smtp_probe.h - probe one address of one MX host: the report's address
 * object (docs/report-format.md, "mx[].addresses[]").
 *
 * The dialogue: abuse guard, connect, greeting, EHLO (HELO if EHLO gets a
 * 5xx), STARTTLS if offered, the TLS handshake, EHLO again, QUIT. The
 * verdict follows DESIGN.md hard rule 2: a 4xx/5xx greeting, a greeting
 * timeout or a tarpit is "not_tested" with the reason, never "no
 * STARTTLS"; a refused connection or a broken handshake is "failed" (a
 * finding); anything that completed the dialogue is "tested". Stopped by
 * mxray's own limits (no free connection slot of the address before the
 * deadline, the job deadline) is "not_tested" with "mxray_limit" naming
 * the limit: such a result is no evidence about the server, and is not
 * reused (addr_cache.h).
 */
#ifndef MXRAY_PROBE_SMTP_PROBE_H
#define MXRAY_PROBE_SMTP_PROBE_H

#include <jansson.h>
#include <openssl/ssl.h>
#include "base/netaddr.h"
#include "mail/config.h"

/* Told once, as soon as it is known, whether the session's STARTTLS
 * handshake worked (1) or will not be had (0): the TLS scan waits for it
 * (probe.c), so a server without working TLS sees no scan at all. */
typedef struct smtp_probe_tls_gate {
	void (*tell)(void *arg, int tls_ok);
	void *arg;
} smtp_probe_tls_gate_t;

/* smtp_probe_address - probe addr (an address of MX host) on
 * cfg->smtp_port; never fails: every outcome is an address object. tls may
 * be NULL (STARTTLS then not attempted). job_deadline is absolute
 * clock_ms() (0 = none). gate may be NULL. */
json_t *smtp_probe_address(const mxray_config_t *cfg, SSL_CTX *tls, const char *host,
			   const netaddr_t *addr, long long job_deadline,
			   const smtp_probe_tls_gate_t *gate);
/* smtp_probe_not_tested - an address object that was not probed, with why. */
json_t *smtp_probe_not_tested(const netaddr_t *addr, const char *reason);
/* smtp_probe_limited - the same, not probed because of mxray's own limit
 * ("job deadline", "connection slots"), which "mxray_limit" names. */
json_t *smtp_probe_limited(const netaddr_t *addr, const char *limit, const char *reason);

#endif
