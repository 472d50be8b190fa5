#!/bin/sh
# manuals.sh - the manual pages stay true to the programs: every option and
# command a program's --help shows appears in its manual page, and the
# pages format without warnings.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

# options_of USAGE_TEXT: the option and command words of "usage:" lines.
options_of() {
	grep -E '^ *(usage:|mxray )' | tr ' []|' '\n\n\n\n' | grep -E '^(-[a-z]|--[a-z-]+|check|status|analyze|findings)$' | sort -u
}

for prog in mxray-milter:man/mxray-milter.8 mxray-worker:man/mxray-worker.8 \
	mxray-reporter:man/mxray-reporter.8 mxray:man/mxray.1; do
	bin=${prog%%:*}
	page=${prog#*:}
	help=$("$E2E_BIN/$bin" --help 2>&1)
	for cmd in check status analyze findings; do
		[ "$bin" = mxray ] && echo "$help" | grep -q "mxray $cmd" &&
			help="$help
$("$E2E_BIN/mxray" "$cmd" --help 2>&1)"
	done
	missing=
	for o in $(echo "$help" | options_of); do
		# roff writes "-" as "\-" in option names.
		pat=$(echo "$o" | sed 's/-/\\\\-/g')
		grep -q -- "$pat\|^\.B $o\$\|^\.B $o " "$page" || missing="$missing $o"
	done
	[ -z "$missing" ] && ok "manual_${bin}_lists_every_option" ||
		not_ok "manual_${bin}_lists_every_option" "$page lacks:$missing"
done

for page in man/*.[158]; do
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$w" ] && ok "manual_$(basename "$page")_formats_cleanly" ||
		not_ok "manual_$(basename "$page")_formats_cleanly" "$w"
done
e2e_done
