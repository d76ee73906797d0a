#!/usr/bin/env bash
# How tests/data/legacy/homes-v7.tar.gz was made (kept for the record; the
# tests only read the archive). Run once on 2026-12-05 with the ctsnode built
# from commit 55406c4 (schema 7: one fstate row per field, each accepted
# changeset as two files under HOME/changesets/):
#   tests/data/legacy/make.sh path/to/old/ctsnode
# It runs the demo (real attendance sheets, region + 4 territory devices
# syncing through a bare repository), then corrections: a member updated
# then removed (tombstone), a contribution edited concurrently on two devices
# of one territory (an open conflict), a meeting cancelled, all synced and
# pulled. It writes each home's digests (status --json) and the sha256 of
# every history file, which the tests compare after migration.
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
D=$(mktemp -d /tmp/legacy-XXXXXX)/v7
CTSNODE_DEMO_BIN=$bin CTSNODE_DEMO_DIR=$D bash "$root/tools/demo.sh" >/dev/null
cts() { local h=$1; shift; "$bin" --home "$D/$h" "$@"; }
cts dp member update "DURAND Claire" --organisation "France Assos Santé Normandie" >/dev/null
cts dp member remove "LEROY Marc" >/dev/null
c=$(cts re1 contribution list --json | jq -r '.[0].id')
cts re2 sync >/dev/null
cts re1 contribution update "$c" --title "Coordination ville-hôpital (secrétariat)" >/dev/null
cts re2 contribution update "$c" --title "Coordination ville-hôpital (portable)" >/dev/null
m=$(cts lh meeting list --json | jq -r '.[0].id')
cts lh meeting cancel "$m" >/dev/null
for h in dp re1 re2 lh; do cts "$h" sync >/dev/null; done
cts region region pull >/dev/null
for h in re1 re2 lh dp; do cts "$h" sync >/dev/null; done
cts region region pull >/dev/null
for h in region re1 re2 lh dp; do
	cts "$h" status --json | jq -c '{content_digest, territory_digests}' >"$D/$h.digests.json"
	(cd "$D/$h" && find changesets -type f | LC_ALL=C sort | xargs sha256sum) >"$D/$h.history.sha256"
done
rm -f "$D"/rapport-*.md
tar -C "$(dirname "$D")" -czf "$here/homes-v7.tar.gz" v7
echo "$here/homes-v7.tar.gz"
