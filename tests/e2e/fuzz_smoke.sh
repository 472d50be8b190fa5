#!/bin/sh
# fuzz_smoke.sh - every libFuzzer target builds (clang, ASan, UBSan) and
# survives a short run from its seed corpus: a crash, a leak or a
# sanitizer report fails the case. `make fuzz` runs them for longer.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

SECONDS_EACH=${FUZZ_SMOKE_SECONDS:-5}
if ! command -v clang >/dev/null 2>&1; then
	not_ok fuzz_targets_build "clang is missing: run 'make deps'"
	exit 1
fi
if ! make -s -j2 FUZZ=1 fuzz-bins >build-fuzz.log 2>&1; then
	not_ok fuzz_targets_build "$(tail -n 5 build-fuzz.log)"
	exit 1
fi
rm -f build-fuzz.log
ok fuzz_targets_build
for f in build-fuzz/fuzz/fuzz_*; do
	n=$(basename "$f")
	work=$(mktemp -d)
	if "$f" -max_total_time="$SECONDS_EACH" -max_len=65536 "$work" "fuzz/corpus/$n" >"$work.log" 2>&1; then
		ok "${n}_survives_${SECONDS_EACH}s"
		rm -rf "$work" "$work.log"
	else
		not_ok "${n}_survives_${SECONDS_EACH}s" "see $work.log; crashing input in $work or ./crash-*"
		grep -E "ERROR|SUMMARY" "$work.log" | head -n 3 | sed 's/^/#   /'
	fi
done
e2e_done
