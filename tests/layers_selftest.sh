#!/usr/bin/env bash
# tests/layers.sh passes on the tree, and fails on a copy of the tree where
# a node-layer file includes a sync header, a base file includes a header
# by a relative path, a file outside sync/ (or a public sync header)
# includes libgit2, the audit calls cts_gitrepo_raw or includes the git
# layer's private header: the check can fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tests/layers.sh" "$root"
T=$(mktemp -d /tmp/ctsnode-layers-XXXXXX)
trap 'rm -rf "$T"' EXIT
# file | line appended | what the refusal must say
while IFS='|' read -r f h why; do
	rm -rf "$T/tree"; mkdir -p "$T/tree"
	(cd "$root" && tar cf - src crypto sync) | (cd "$T/tree" && tar xf -)
	printf '%s\n' "$h" >>"$T/tree/$f"
	if bash "$root/tests/layers.sh" "$T/tree" 2>"$T/err"; then
		echo "ÉCHEC : $f avec « $h » n'a pas été refusé" >&2; exit 1
	fi
	grep "$f" "$T/err" | grep -q "$why" ||
		{ echo "ÉCHEC : le refus de « $h » dans $f ne dit pas « $why »" >&2; cat "$T/err" >&2; exit 1; }
done <<'EOF_CASES'
src/region.c|#include "importer.h"|plus haute
src/base/text.c|#include "../tables.h"|par son nom seul
sync/sync.c|#include "audit.h"|plus haute
src/audit/audit_branches.c|#include <git2.h>|libgit2
src/cli/cmd_audit.c|#  include <git2/oid.h>|libgit2
sync/gitrepo.h|#include <git2.h>|libgit2
src/audit/audit.c|static void *r(void *g) { return cts_gitrepo_raw(g); }|cts_gitrepo_raw
src/audit/audit_chains.c|#include "gitrepo_impl.h"|en-tête privé
EOF_CASES
echo "inclusions montantes refusées"
