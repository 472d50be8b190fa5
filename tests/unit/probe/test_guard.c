/*
 * test_guard.c - DESIGN.md hard rule 4: a non-public address outside
 * [probe] allow_networks is never connected to. A listening socket on
 * 127.0.0.2 proves no connection was made; the positive control proves the
 * same socket would have seen one.
 */
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "smtp_server.h"
#include "probe_fixture.h"
#include "base/clock.h"
#include "base/log.h"
#include "probe/guard.h"
#include "probe/smtp_probe.h"

static json_t *probe_addr(const char *ip, int port, const char *allow)
{
	mxray_config_t cfg;
	netaddr_t a;
	if (fixture_config(&cfg, port, "/etc/ssl/certs/ca-certificates.crt", allow,
			   "greeting_timeout = 200ms\nconnect_timeout = 500ms\n") != 0)
		return NULL;
	netaddr_parse(ip, &a);
	json_t *j = smtp_probe_address(&cfg, NULL, "mx.probe.test", &a, clock_ms() + 5000, NULL);
	config_free(&cfg);
	return j;
}

/* pending_connection - 1 if a connection waits on the listening socket. */
static int pending_connection(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 200) > 0;
}

TEST(private_address_refused_with_reason)
{
	json_t *j = probe_addr("10.0.0.1", 25, "");
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_STR(jstr(j, "state"), "not_tested");
	CHECK_STR(jstr(j, "reason"), "address 10.0.0.1 is private (RFC 1918); mxray probes only "
		  "public addresses unless [probe] allow_networks includes it");
	CHECK(json_is_null(json_object_get(j, "connect_ms")));
	CHECK_INT(json_array_size(json_object_get(j, "transcript")), 0);
	json_decref(j);
}

TEST(loopback_listener_never_sees_a_connection)
{
	int port;
	int fd = ts_listen("127.0.0.2", &port);
	CHECK(fd >= 0);
	json_t *j = probe_addr("127.0.0.2", port, "10.0.0.0/8");
	CHECK(!pending_connection(fd));
	CHECK(j != NULL);
	if (j) {
		CHECK_STR(jstr(j, "state"), "not_tested");
		CHECK(strstr(jstr(j, "reason"), "is loopback (RFC 1122)") != NULL);
	}
	json_decref(j);
	close(fd);
}

TEST(allowed_network_is_connected_to)
{
	int port;
	int fd = ts_listen("127.0.0.2", &port);
	CHECK(fd >= 0);
	json_t *j = probe_addr("127.0.0.2", port, "127.0.0.2/32");
	CHECK(pending_connection(fd));	/* the positive control */
	CHECK(j != NULL);
	if (j) {
		CHECK_STR(jstr(j, "state"), "not_tested");
		CHECK(strstr(jstr(j, "reason"), "greeting timeout") != NULL);
	}
	json_decref(j);
	close(fd);
}

TEST(guard_table)
{
	static const struct { const char *ip, *allow; int refuse; } cases[] = {
		{ "8.8.8.8", "", 0 },
		{ "2001:4860:4860::8888", "", 0 },
		{ "127.0.0.1", "", 1 },
		{ "::1", "", 1 },
		{ "fd00::1", "", 1 },
		{ "192.168.1.1", "192.168.0.0/16", 0 },
		{ "192.168.1.1", "192.168.2.0/24", 1 },
		{ "::ffff:127.0.0.1", "127.0.0.0/8", 1 },	/* the exact address counts */
		{ "169.254.1.1", "", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		netaddr_t a;
		netrange_list_t l = { NULL, 0 };
		char err[256], why[300];
		CHECK(netaddr_parse(cases[i].ip, &a) == 0);
		CHECK(netrange_list_parse(cases[i].allow, &l, err, sizeof(err)) == 0);
		int got = probe_guard_refuse(&l, &a, why, sizeof(why));
		if (got != cases[i].refuse) {
			harness_case_failed = 1;
			printf("#   %s (allow \"%s\"): refuse %d, want %d\n", cases[i].ip,
			       cases[i].allow, got, cases[i].refuse);
		}
		netrange_list_free(&l);
	}
}

int main(void)
{
	log_init("test_guard", LOG_DEST_STDERR, 0);
	RUN(private_address_refused_with_reason);
	RUN(loopback_listener_never_sees_a_connection);
	RUN(allowed_network_is_connected_to);
	RUN(guard_table);
	return harness_done();
}
