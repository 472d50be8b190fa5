/*
 * render_html_parts.h - the building blocks of the report page and the
 * parts laid out outside render_html.c. Internal to lib/report.
 *
 * Labels, element names and classes are always mxray's fixed strings;
 * text from the report only ever goes through html_text (escaped), so a
 * hostile banner, DNS record or header can never open an element or pick
 * an attribute. Missing or mistyped fields show as absent.
 */
#ifndef MXRAY_REPORT_RENDER_HTML_PARTS_H
#define MXRAY_REPORT_RENDER_HTML_PARTS_H

#include <jansson.h>
#include "base/strbuf.h"

/* html_text - s escaped, or a dash when absent. */
void html_text(strbuf_t *out, const char *s);
/* html_code - s escaped inside <code>, or a dash when absent. */
void html_code(strbuf_t *out, const char *s);
/* html_row_start / html_row_end - a th/td table row; label and cls are ours. */
void html_row_start(strbuf_t *out, const char *label, const char *cls);
void html_row_end(strbuf_t *out);
void html_row_text(strbuf_t *out, const char *label, const char *value, const char *cls);
/* html_result_class - "ok", "bad" or "warn" for a verdict word; NULL for none. */
const char *html_result_class(const char *r);
/* html_bool - yes (ok), no (bad) or "unknown" for b = 1, 0, -1. */
void html_bool(strbuf_t *out, int b, const char *yes, const char *no);
/* html_table_columns - open a table of rows with a header row of our
 * column names (NULL-terminated); the caller closes it. */
void html_table_columns(strbuf_t *out, const char *const cols[]);
/* html_string_list - a <ul> of the strings in arr (non-strings skipped). */
void html_string_list(strbuf_t *out, const json_t *arr);

/* render_html_dns.c: what DNS says about the domain and its MX hosts. */
/* html_mx_host_records - an MX host's CNAME, TLSA records (DANE), CAA and
 * MTA-STS match, shown above its addresses. */
void html_mx_host_records(const json_t *host, strbuf_t *out);
/* html_address_checks - table rows for an address: reverse DNS and the
 * DANE match of its certificates. */
void html_address_checks(const json_t *addr, strbuf_t *out);
/* html_dmarc_rows - table rows of a DMARC record (dns.dmarc or
 * message.dmarc): where found, policies, alignment modes, pct. */
void html_dmarc_rows(const json_t *dmarc, strbuf_t *out);
/* html_dmarc_destinations - where aggregate and failure reports go and
 * whether each external destination accepts them (RFC 7489 7.1). */
void html_dmarc_destinations(const json_t *dmarc, strbuf_t *out);
/* html_mta_sts / html_tls_rpt - the domain's MTA-STS check (RFC 8461) and
 * TLS-RPT record (RFC 8460), each under its own heading. */
void html_mta_sts(const json_t *sts, strbuf_t *out);
/* html_spf_policy - the domain's own SPF policy (dns.spf, RFC 7208). */
void html_spf_policy(const json_t *spf, strbuf_t *out);
void html_tls_rpt(const json_t *rpt, strbuf_t *out);

/* render_html_smtp.c: what an address's SMTP service offers. */
/* html_ehlo_extensions - the address's "extensions", each explained, and
 * the important ones it does not offer; nothing without "extensions". */
void html_ehlo_extensions(const json_t *addr, strbuf_t *out);

/* render_html_message.c: what the test message told beyond SPF and DKIM. */
/* html_message_checks - DMARC evaluation, the client's HELO and reverse
 * DNS, blocklists, header basics and the reply decision. */
void html_message_checks(const json_t *msg, strbuf_t *out);
/* html_dkim_rows - the details of one DKIM signature and its key. */
void html_dkim_rows(const json_t *sig, strbuf_t *out);
/* html_received_path - the Received hops as a table, raw where unparsed. */
void html_received_path(const json_t *msg, strbuf_t *out);
/* html_upstream_auth - upstream Authentication-Results and ARC sets, as
 * information (nobody verified them). */
void html_upstream_auth(const json_t *msg, strbuf_t *out);

/* Keys those parts lay out (for html_more, which shows the rest). */
extern const char *const html_known_dkim[];
extern const char *const html_known_dmarc[];

#endif
