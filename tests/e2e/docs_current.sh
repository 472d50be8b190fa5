#!/bin/sh
# docs_current.sh - documents generated from the code are up to date:
# docs/findings.md is exactly what `mxray findings` prints.
set -u
. "$(dirname "$0")/../lib/e2e.sh"
cd "$E2E_ROOT" || exit 1

tmp=$(mktemp)
"$E2E_BIN/mxray" findings >"$tmp"
if cmp -s "$tmp" docs/findings.md; then
	ok findings_doc_matches_catalogue
else
	not_ok findings_doc_matches_catalogue "docs/findings.md is stale: run 'make docs'"
	diff "$tmp" docs/findings.md | head -n 10 | sed 's/^/#   /'
fi
rm -f "$tmp"
e2e_done
