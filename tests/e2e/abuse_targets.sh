#!/bin/sh
# abuse_targets.sh - mxray is no tool to reach what is not public: a domain
# whose MX hosts resolve to loopback (outside the sandbox's allowed net),
# RFC 1918, link-local, CGNAT, ULA, multicast, IPv4-mapped, NAT64,
# documentation and reserved addresses is probed, and the worker connects
# to none of them (a listener on the loopback one counts connections);
# every address is "not tested" with the reason, and receiving is not
# graded rather than failed (DESIGN hard rule 2, issue 7).
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

sandbox_up --no-mxray
# A listener on the loopback target: any connection is a failure.
setsid timeout 60 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", 25)); s.listen(8); print("listening", flush=True)
while True:
    c, a = s.accept(); print("connection from", a, flush=True); c.close()
' </dev/null >"$SANDBOX/logs/abuse-listener.log" 2>&1 &
echo $! >"$SANDBOX/run/extra-abuse-listener.pid"
for _ in $(seq 1 50); do grep -q listening "$SANDBOX/logs/abuse-listener.log" && break; sleep 0.1; done
check listener_ready grep -q listening "$SANDBOX/logs/abuse-listener.log"

"$E2E_BIN/mxray" check -c "$SANDBOX_CONF" --format json abuse.unsigned.test >"$SANDBOX/abuse.json" 2>"$SANDBOX/abuse.err"
rc=$?
[ "$rc" -eq 0 ] && ok check_produced_a_report ||
	not_ok check_produced_a_report "mxray check exited with $rc: $(tail -n 3 "$SANDBOX/abuse.err")"
out=$(python3 - "$SANDBOX/abuse.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
want = {"loopback": "127.0.0.2", "private": "10.1.2.3", "linklocal": "169.254.1.1",
        "cgnat": "100.64.1.1", "ula": "fd00::25", "multicast": "224.0.0.25",
        "mapped": "::ffff:127.0.0.2", "nat64": "64:ff9b::7f00:2",
        "documentation": "192.0.2.25", "reserved": "240.0.0.25"}
seen = {}
for h in rep["mx"]:
    name = h["host"].split(".")[0]
    for a in h.get("addresses", []):
        seen[name] = a
for name, ip in want.items():
    a = seen.get(name)
    if a is None:
        print("not ok - %s_refused no address in the report" % name); continue
    why = a.get("reason") or ""
    good = (a.get("state") == "not_tested" and "allow_networks" in why
            and a.get("tls") is None and a.get("connect_ms") is None and not a.get("transcript"))
    print("%s - %s_refused%s" % ("ok" if good else "not ok", name,
          "" if good else " state %s reason %r" % (a.get("state"), why)))
g = rep.get("grade", {})
print("%s - receiving_not_graded_not_failed # %s" % (
    "ok" if g.get("receiving") is None and (g.get("not_graded") or {}).get("receiving") else "not ok",
    json.dumps([g.get("receiving"), (g.get("not_graded") or {}).get("receiving")])))
PY
)
echo "$out"
# No line at all means the report could not be read: that is a failure too.
echo "$out" | grep -q '^ok' || not_ok report_readable "no verdicts from $SANDBOX/abuse.json"
echo "$out" | grep -q '^not ok' && E2E_FAILED=$((E2E_FAILED + 1))
# Control: the listener does count a connection (this test's own), so
# "no connection from mxray" means something.
python3 -c 'import socket; socket.create_connection(("127.0.0.2", 25), 5).close()'
sleep 1
n=$(grep -c "connection from" "$SANDBOX/logs/abuse-listener.log")
[ "$n" -eq 1 ] && ok "no_connection_reached_the_loopback_target (only the control's)" ||
	not_ok no_connection_reached_the_loopback_target "$n connections, 1 of them the control's"
e2e_done
