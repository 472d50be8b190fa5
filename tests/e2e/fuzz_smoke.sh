#!/bin/sh
# fuzz_smoke.sh - every libFuzzer target builds (clang, ASan, UBSan, every
# report fatal) and survives a short run from its seed corpus: a crash, a
# leak, a timeout or any sanitizer report fails the case. `make fuzz` runs
# them for longer.
#
# The targets are built into FUZZ_BUILD (build-fuzz) whatever the calling
# make passes down: under `make check SANITIZE=1` the inner make inherits
# SANITIZE=1 and B from MAKEFLAGS, which would build elsewhere than the
# loop runs. Crashing inputs go to the case's work directory
# (-artifact_prefix), never the repository root.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

SECONDS_EACH=${FUZZ_SMOKE_SECONDS:-5}
FUZZ_BUILD=build-fuzz
if ! command -v clang >/dev/null 2>&1; then
	not_ok fuzz_targets_build "clang is missing: run 'make deps'"
	exit 1
fi
mkdir -p "$FUZZ_BUILD"
log=$FUZZ_BUILD/fuzz-build.log
if ! make -s -j2 FUZZ=1 SANITIZE= B="$FUZZ_BUILD" fuzz-bins >"$log" 2>&1; then
	not_ok fuzz_targets_build "$(tail -n 5 "$log")"
	exit 1
fi
ok fuzz_targets_build
targets=$(ls fuzz/fuzz_*.c | sed 's|^fuzz/||; s|\.c$||')
for n in $targets; do
	f=$FUZZ_BUILD/fuzz/$n
	work=$(mktemp -d "/tmp/mxray-fuzz-$n-XXXXXX")
	# The sanitizer's report stays in the fuzzer's log (not E2E_SAN_DIR),
	# next to libFuzzer's own lines about the input that caused it.
	if [ -x "$f" ] && env -u ASAN_OPTIONS -u UBSAN_OPTIONS "$f" -max_total_time="$SECONDS_EACH" \
		-max_len=65536 -artifact_prefix="$work/" "$work" "fuzz/corpus/$n" >"$work.log" 2>&1; then
		ok "${n}_survives_${SECONDS_EACH}s"
		rm -rf "$work" "$work.log"
	else
		not_ok "${n}_survives_${SECONDS_EACH}s" "see $work.log; crashing input in $work/crash-* (or $f missing)"
		grep -E "ERROR|SUMMARY|runtime error" "$work.log" | head -n 3 | sed 's/^/#   /'
	fi
done
e2e_done
