#!/bin/sh
# report_browser.sh - the report page in a real browser: Debian's headless
# Chromium, inside a network namespace of this test's own (only a loopback
# that is up: it reaches nothing), loading file:// copies of pages rendered
# by `mxray render`. Asserts: the sample report renders at phone and
# desktop widths (screenshots are real PNGs with content) and prints to
# PDF; the page logs nothing to the console (no error, no CSP violation);
# a report whose every string and key is hostile executes nothing, even
# with the page's CSP removed (escaping alone holds), for the sample
# report and for the full one (DNS and message layouts); and, as a control,
# that this harness does see a script that runs.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

if [ "$(id -u)" != 0 ] || ! command -v chromium >/dev/null 2>&1; then
	not_ok chromium_available "needs root (ip netns) and Debian's chromium (scripts/deps.sh)"
	e2e_done
	exit 1
fi

WORK=$(mktemp -d /tmp/mxray-browser-XXXXXX)
NS=mxray-br-$$
cleanup() {
	ip netns del "$NS" 2>/dev/null
	if [ "$E2E_FAILED" -gt 0 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM
ip netns add "$NS" || { not_ok netns_created "ip netns add $NS"; exit 1; }
ip netns exec "$NS" ip link set lo up

# browse NAME ARGS... : run chromium on $WORK/NAME.html in the namespace;
# stdout to NAME.out, stderr (console log) to NAME.log. Bounded by timeout.
browse() {
	name=$1
	shift
	rm -rf "$WORK/profile-$name"
	mkdir "$WORK/profile-$name"
	timeout 90 ip netns exec "$NS" chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$WORK/profile-$name" \
		--enable-logging=stderr --v=0 "$@" "file://$WORK/$name.html" \
		>"$WORK/$name.out" 2>"$WORK/$name.log"
}

# console_lines NAME: what the page logged to the console (errors, CSP
# violations, anything a script printed).
console_lines() {
	grep ':CONSOLE' "$WORK/$1.log"
}

# png_ok FILE: a PNG with real content (many distinct bytes in its pixels).
png_ok() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
if d[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(1)
w, h = struct.unpack(">II", d[16:24])
pos, idat = 8, b""
while pos < len(d):
    n, = struct.unpack(">I", d[pos:pos + 4])
    if d[pos + 4:pos + 8] == b"IDAT":
        idat += d[pos + 8:pos + 8 + n]
    pos += 12 + n
px = zlib.decompress(idat)
print(w, h, len(set(px)))
sys.exit(0 if w > 0 and h > 0 and len(set(px)) > 16 else 1)
PY
}

# 1. The sample report, at phone and desktop width, and printed.
render_to() { "$E2E_BIN/mxray" render --format html "$1" >"$2"; }
check sample_renders render_to tests/unit/report/sample_report.json "$WORK/sample.html"
browse sample --window-size=412,915 --screenshot="$WORK/phone.png"
if info=$(png_ok "$WORK/phone.png"); then ok "phone_screenshot_has_content ($info)"; else
	not_ok phone_screenshot_has_content "$WORK/phone.png: $info"; fi
if console_lines sample >/dev/null; then
	not_ok sample_page_logs_nothing "$(console_lines sample | head -n 3)"
else
	ok sample_page_logs_nothing
fi
browse sample --window-size=1280,1024 --screenshot="$WORK/desktop.png"
if info=$(png_ok "$WORK/desktop.png"); then ok "desktop_screenshot_has_content ($info)"; else
	not_ok desktop_screenshot_has_content "$WORK/desktop.png: $info"; fi
browse sample --print-to-pdf="$WORK/sample.pdf" --no-pdf-header-footer
pages=$(grep -ac '/Type */Page\($\|[^s]\)' "$WORK/sample.pdf" 2>/dev/null)
[ "${pages:-0}" -ge 1 ] && ok "page_prints_to_pdf ($pages pages)" ||
	not_ok page_prints_to_pdf "no pages in $WORK/sample.pdf"

# The DOM Chromium built holds the facts and the closed <details> content
# (printed and searchable), and the page is the one we rendered.
browse sample --dump-dom
for fact in "mx1.sender.test" "TLSv1.3" "Fix these first" "<title>mxray report for sender.test</title>"; do
	contains "sample_dom_has_$(echo "$fact" | tr -c 'A-Za-z0-9.\n' _)" "$WORK/sample.out" "$fact"
done

# 2. Hostile reports: every string, and a key at several levels, carries
# payloads that would change the title, add an element or load something;
# in the sample report and in full_report.json, whose DNS evidence (TLSA,
# CAA, DMARC, MTA-STS, TLS-RPT) and message (DKIM, Received, ARC ...) have
# layouts of their own.
poison() { # SRC DST
	python3 - "$1" "$2" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
P = ("<script>document.title='PWNED'</script>"
     "<img src=x onerror=\"document.title='PWNED'\">"
     "\"><svg onload=\"document.body.appendChild(document.createElement('mxray-pwned'))\">"
     "<iframe src=\"javascript:parent.document.title='PWNED'\"></iframe>"
     "<style>body{display:none}</style><a href=\"javascript:alert(1)\">x</a>")
strings = 0
def walk(o):
    global strings
    if isinstance(o, dict):
        for k in list(o):
            if k in ("format", "token", "created", "expires"):
                continue
            if isinstance(o[k], str):
                strings += 1
                o[k] = P
            else:
                o[k] = walk(o[k])
        return o
    if isinstance(o, list):
        out = []
        for v in o:
            if isinstance(v, str):
                strings += 1
            out.append(P if isinstance(v, str) else walk(v))
        return out
    return o
walk(rep)
rep["grade"] = {"overall": P, "sending": P, "top_fixes": [{"id": P}]}
rep["mx"][0]["addresses"][0][P] = {P: [P, {P: P}]}
rep["dns"][P] = P
if isinstance(rep.get("message"), dict):
    rep["message"][P] = {P: [P]}
rep[P] = P
json.dump(rep, open(sys.argv[2], "w"))
print(strings)
PY
}
for src in sample full; do
	n=$(poison "tests/unit/report/${src}_report.json" "$WORK/hostile-$src.json")
	[ "${n:-0}" -ge 50 ] && ok "${src}_report_poisoned ($n strings)" || not_ok "${src}_report_poisoned" "$n strings"
	check "${src}_hostile_report_renders" render_to "$WORK/hostile-$src.json" "$WORK/hostile-$src.html"
	# Take the page's own CSP away: escaping alone must keep it inert.
	grep -v 'http-equiv="Content-Security-Policy"' "$WORK/hostile-$src.html" >"$WORK/bare-$src.html"
	grep -q 'Content-Security-Policy' "$WORK/bare-$src.html" &&
		not_ok "${src}_hostile_copy_without_csp" "the CSP meta is still in bare-$src.html"
	browse "bare-$src" --dump-dom
	browse "hostile-$src" --dump-dom
	for page in "bare-$src" "hostile-$src"; do
		if grep -q 'PWNED</title>\|<mxray-pwned\|<svg\|<iframe\|<img' "$WORK/$page.out"; then
			not_ok "${page}_report_executes_nothing" "$(grep -o '<title>[^<]*</title>' "$WORK/$page.out")"
		elif ! grep -q '<title>mxray report for &lt;script&gt;' "$WORK/$page.out"; then
			not_ok "${page}_report_executes_nothing" "title not the escaped domain"
		else
			ok "${page}_report_executes_nothing"
		fi
		if console_lines "$page" >/dev/null; then
			not_ok "${page}_page_logs_nothing" "$(console_lines "$page" | head -n 3)"
		else
			ok "${page}_page_logs_nothing"
		fi
	done
	contains "${src}_hostile_payload_shown_as_text" "$WORK/bare-$src.out" "&lt;svg onload="
	browse "bare-$src" --window-size=412,915 --screenshot="$WORK/hostile-$src.png"
	if info=$(png_ok "$WORK/hostile-$src.png"); then ok "${src}_hostile_page_still_visible ($info)"; else
		not_ok "${src}_hostile_page_still_visible" "$info"; fi
done
# The poisoned full report still went through its own layouts (so their
# escaping was what held): their headings are in the DOM Chromium built.
for h in "<h3>MTA-STS" "<h3>TLS-RPT" "<h3>SPF" "<h3>The sender and the message" "<h3>DKIM signatures"; do
	contains "full_hostile_page_has_$(echo "$h" | sed 's/<h3>//' | tr -c 'A-Za-z\n' _)" "$WORK/hostile-full.out" "$h"
done
# 3. Control: the harness does see a script that runs and what it logs, so
# the checks above can fail.
printf '<!DOCTYPE html><title>orig</title><body><script>console.error("control");document.title="PWNED";document.body.appendChild(document.createElement("mxray-pwned"))</script>\n' >"$WORK/control.html"
browse control --dump-dom
if grep -q '<mxray-pwned' "$WORK/control.out" && grep -q 'PWNED</title>' "$WORK/control.out" &&
	console_lines control | grep -q '"control"'; then
	ok control_script_is_detected
else
	not_ok control_script_is_detected "the harness would miss an executing script"
fi

# 4. The namespace reached nothing: a page pointing outside gets no answer.
if ip netns exec "$NS" sh -c 'ip route | grep -q .'; then
	not_ok namespace_has_no_route "$(ip netns exec "$NS" ip route)"
else
	ok namespace_has_no_route
fi
e2e_done
