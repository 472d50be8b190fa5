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

sandbox_down() {
	[ -n "${SANDBOX:-}" ] || return 0
	"$E2E_ROOT/tests/sandbox/sandbox.sh" stop "$SANDBOX" >/dev/null 2>&1
	# Stopped by TERM, the daemons exit through main: under SANITIZE=1 that
	# is when LeakSanitizer reports, into their logs; so does any ASan or
	# UBSan error they met while the test ran.
	bad=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$SANDBOX"/logs/*.log 2>/dev/null)
	if [ -n "$bad" ]; then
		not_ok daemons_sanitizer_clean "$(grep -h -E 'SUMMARY|runtime error:' $bad | head -n 3)"
	else
		ok daemons_sanitizer_clean
	fi
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

e2e_done() {
	[ "$E2E_FAILED" -eq 0 ]
}
