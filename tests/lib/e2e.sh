# e2e.sh - helpers for the end-to-end tests in tests/e2e/ (sourced, not run).
#
# Each test starts a sandbox of its own under a temporary directory and
# stops it on exit, whatever happens. Results are printed as
# "ok - name" / "not ok - name" lines for tests/run.sh to count.

E2E_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_FAILED=0
# Where the programs are: the repository root, or MXRAY_BIN_DIR (make BIN=...).
E2E_BIN=${MXRAY_BIN_DIR:-$E2E_ROOT}
export MXRAY_BIN_DIR=$E2E_BIN

# Sanitizer reports (SANITIZE=1 builds) of every program a test runs must
# fail the test, wherever the test sent that program's stderr. ASan and
# LSan (and clang's UBSan) write their reports to E2E_SAN_DIR/report.PID,
# so even stderr sent to /dev/null is covered. GCC's UBSan ignores log_path
# when linked with ASan and stays on stderr: for it the check also reads the
# stderr captures (*.err, *.log) under the test's directories (SANDBOX, and
# WORK or work of tests without a sandbox). The directory is world-writable
# because the daemons write there after dropping root.
E2E_SAN_DIR=$(mktemp -d /tmp/mxray-san-XXXXXX) && chmod 1777 "$E2E_SAN_DIR"
E2E_SAN_CHECKED=0
E2E_SAN_PATTERN='ERROR: [A-Za-z]*Sanitizer|runtime error:'
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$E2E_SAN_DIR/report"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$E2E_SAN_DIR/report"

# ok NAME / not_ok NAME WHY...
ok() { echo "ok - $1"; }
not_ok() {
	name=$1
	shift
	echo "not ok - $name"
	[ $# -gt 0 ] && echo "#   $*"
	E2E_FAILED=$((E2E_FAILED + 1))
}

# check NAME COMMAND...: ok when COMMAND succeeds.
check() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# contains NAME FILE TEXT: ok when FILE contains TEXT (fixed string).
contains() {
	if grep -qF -- "$3" "$2" 2>/dev/null; then
		ok "$1"
	else
		not_ok "$1" "\"$3\" not found in $2"
	fi
}

# sandbox_up [ARGS...]: start a sandbox in a fresh directory; sets SANDBOX.
sandbox_up() {
	SANDBOX=$(mktemp -d /tmp/mxray-e2e-XXXXXX)
	trap 'sandbox_down' EXIT INT TERM
	if ! "$E2E_ROOT/tests/sandbox/sandbox.sh" start "$SANDBOX" "$@" >"$SANDBOX.start.log" 2>&1; then
		not_ok sandbox_starts "see $SANDBOX.start.log"
		sed 's/^/#   /' "$SANDBOX.start.log" | tail -n 30
		exit 1
	fi
	# shellcheck disable=SC1091
	. "$SANDBOX/env"
}

# signing_sandbox_up [MODULE...]: for the tests that sign their own mails
# with dkimpy: fails unless Debian's python3 has dkim (and each MODULE),
# then sandbox_up; sets work (a directory of the test's) and MXRAY.
signing_sandbox_up() {
	mods=$(echo dkim "$@" | sed 's/ /, /g')
	[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $mods" 2>/dev/null ||
		{ not_ok needs_dkimpy "python3 modules $mods (make deps)"; exit 1; }
	sandbox_up
	work=$SANDBOX/e2e
	mkdir -p "$work"
	MXRAY=$E2E_BIN/mxray
}

sandbox_down() {
	[ -n "${SANDBOX:-}" ] || { e2e_sanitizer_check; return 0; }
	"$E2E_ROOT/tests/sandbox/sandbox.sh" stop "$SANDBOX" >/dev/null 2>&1
	# Stopped by TERM, the daemons exit through main: under SANITIZE=1 that
	# is when LeakSanitizer reports; so does any ASan or UBSan error they
	# met while the test ran. So the check comes after the stop.
	e2e_sanitizer_check
	if [ "${KEEP_LOGS:-0}" = 1 ] || [ "$E2E_FAILED" -gt 0 ]; then
		echo "# sandbox logs kept in $SANDBOX/logs"
	else
		rm -rf "$SANDBOX" "$SANDBOX.start.log"
	fi
	SANDBOX=
}

# json_get FILE PATH: print a value of a JSON file; PATH like message.spf.result
# or mx.0.host. Prints nothing when absent.
json_get() {
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    v = json.load(open(sys.argv[1]))
    for part in sys.argv[2].split("."):
        v = v[int(part)] if isinstance(v, list) else v[part]
except Exception:
    sys.exit(0)
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}

# e2e_sanitizer_check: the case sanitizer_clean, failing when a program the
# test ran left a sanitizer report in E2E_SAN_DIR or in a stderr capture.
# Runs once: after the sandbox is stopped, or from e2e_done without one.
e2e_sanitizer_check() {
	[ "$E2E_SAN_CHECKED" = 0 ] || return 0
	E2E_SAN_CHECKED=1
	dirs=
	for d in "${SANDBOX:-}" "${WORK:-}" "${work:-}"; do
		[ -n "$d" ] && [ -d "$d" ] && dirs="$dirs $d"
	done
	# shellcheck disable=SC2086
	bad=$( { ls "$E2E_SAN_DIR"/report.* 2>/dev/null
		[ -n "$dirs" ] && grep -r -l -E --include='*.err' --include='*.log' \
			"$E2E_SAN_PATTERN" $dirs 2>/dev/null; } | sort -u)
	if [ -n "$bad" ]; then
		# shellcheck disable=SC2086
		not_ok sanitizer_clean "reports in: $(echo $bad)" \
			"$(grep -h -E "SUMMARY|$E2E_SAN_PATTERN" $bad | head -n 3)"
		rmdir "$E2E_SAN_DIR" 2>/dev/null
		return 1
	fi
	ok sanitizer_clean
	rm -rf "$E2E_SAN_DIR"
}

# e2e_done: the test's exit status; checks for sanitizer reports unless a
# sandbox is still up (sandbox_down checks once the daemons have exited).
e2e_done() {
	[ -n "${SANDBOX:-}" ] || e2e_sanitizer_check
	[ "$E2E_FAILED" -eq 0 ]
}
