#!/usr/bin/env bash
# tests/layers.sh passes on the tree, and fails on a copy of the tree where
# a node-layer file includes a sync header, or a base file includes a header
# by a relative path: the check can fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tests/layers.sh" "$root"
T=$(mktemp -d /tmp/ctsnode-layers-XXXXXX)
trap 'rm -rf "$T"' EXIT
for inject in "src/region.c:importer.h" "src/base/text.c:../tables.h" "sync/sync.c:audit.h"; do
	rm -rf "$T/tree"; mkdir -p "$T/tree"
	(cd "$root" && tar cf - src crypto sync) | (cd "$T/tree" && tar xf -)
	f=${inject%%:*}; h=${inject#*:}
	printf '#include "%s"\n' "$h" >>"$T/tree/$f"
	if bash "$root/tests/layers.sh" "$T/tree" 2>"$T/err"; then
		echo "ÉCHEC : $f incluant $h n'a pas été refusé" >&2; exit 1
	fi
	grep -q "$f" "$T/err" || { echo "ÉCHEC : le message ne nomme pas $f" >&2; cat "$T/err" >&2; exit 1; }
done
echo "inclusions montantes refusées"
