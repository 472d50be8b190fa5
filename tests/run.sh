#!/bin/sh
# run.sh - run every test of mxray and print one closing line.
#
# Unit tests: $TEST_BUILD_DIR/tests/<layer>/test_* (built by `make unit`;
# TEST_BUILD_DIR is build, or build-san for SANITIZE=1).
# Integration tests: tests/e2e/*.sh, each against a sandbox of its own.
# Every test program prints "ok - NAME" / "not ok - NAME" per case; a
# program that exits non-zero without printing a failure counts as one
# failed case, so a crash is never a silent pass.
# Usage: tests/run.sh [PATTERN]   (run only programs whose path contains it)
set -u
cd "$(dirname "$0")/.." || exit 2

pattern=${1:-}
passed=0
failed=0
log_dir=${TEST_LOG_DIR:-${TEST_BUILD_DIR:-build}/test-logs}
mkdir -p "$log_dir"

run_one() {
	prog=$*
	name=$(echo "$prog" | tr '/ ' '__')
	out="$log_dir/$name.log"
	echo "== $prog"
	"$@" >"$out" 2>&1
	rc=$?
	grep -E '^(ok|not ok|#)' "$out"
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $prog exited with status $rc (log: $out)"
		tail -n 20 "$out" | sed 's/^/#   /'
		f=1
	elif [ "$f" -ne 0 ]; then
		echo "# log: $out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

build_dir=${TEST_BUILD_DIR:-build}
for t in "$build_dir"/tests/*/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *"$pattern"*) ;; *) continue ;; esac
	run_one "$t"
done
for t in tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	case "$t" in *"$pattern"*) ;; *) continue ;; esac
	run_one sh "$t"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
