# Resource faults: a full disk during attendance import, sync and region
# pull gives a clear French message and loses nothing; the next command
# completes. Faults are injected (test hooks, docs/ROBUSTNESS.md):
# CTSNODE_TEST_MAX_PAGES caps the SQLite file (SQLITE_FULL, as on a full
# disk), CTSNODE_TEST_ENOSPC_SQLITE fails every write SQLite does.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
cts "$T/region" region enroll --node re-secretariat --territory rouen-elbeuf \
	--key "$(cts "$T/re" key show | awk '{print $1" "$2}')" >/dev/null
cts "$T/region" region pull >/dev/null
cts "$T/re" sync --remote "$REPO" >/dev/null
m=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
pages=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA page_count').fetchone()[0])" "$T/re/node.db")

# Database full during the import: refused cleanly, nothing written.
before=$(cts "$T/re" status --json | jq -c '[.content_digest, .pending_ops]')
CTSNODE_TEST_MAX_PAGES=$((pages + 2)) expect_status 3 "$CTSNODE" --home "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing
assert_contains "$ERR" "disque plein"
assert_eq "$(cts "$T/re" status --json | jq -c '[.content_digest, .pending_ops]')" "$before" "rien d'écrit"
cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
assert_eq "$(cts "$T/re" member list --json | jq length)" 29 "import après libération"
pass "base pleine pendant un import : message clair, rien d'écrit"

# Disk full while sealing (the database cannot grow: the changeset goes
# into its history table): the operations stay pending, nothing lost.
pages=$(sqlite3 "$T/re/node.db" 'PRAGMA page_count')
before=$(cts "$T/re" status --json | jq -c '[.content_digest, .pending_ops, .last_seq]')
CTSNODE_TEST_MAX_PAGES=$pages expect_status 3 "$CTSNODE" --home "$T/re" sync
assert_contains "$ERR" "disque plein"
assert_eq "$(cts "$T/re" status --json | jq -c '[.content_digest, .pending_ops, .last_seq]')" "$before" "opérations gardées"
expect_status 0 "$CTSNODE" --home "$T/re" sync
assert_eq "$(cts "$T/re" status --json | jq .pending_ops)" 0 "scellé et envoyé ensuite"
pass "disque plein au scellement : rien de perdu, le sync suivant passe"

# Disk full while the region stores what it imports: kept pending, applied
# next time. The database is capped where the received changeset fits in
# the inbox but its application (state and history) does not: the
# smallest such cap is found on copies of the region and of the repository
# (a pull pushes), then a little more is given to the real pull.
p=$(sqlite3 "$T/region/node.db" 'PRAGMA page_count')
cap=
for k in $(seq 2 2 64); do
	rm -rf "$T/try"; mkdir "$T/try"; cp -a "$T/region" "$T/try/region"; cp -a "$REPO" "$T/try/repo.git"
	CTSNODE_TEST_MAX_PAGES=$((p + k)) "$CTSNODE" --home "$T/try/region" region pull --remote "$T/try/repo.git" >/dev/null 2>&1 || true
	[ "$(cts "$T/try/region" status --json | jq '[.pending[] | select(.node == "re-secretariat")] | length')" = 1 ] &&
		{ cap=$((p + k + 4)); break; }
done
[ -n "$cap" ] || fail "aucune taille de base ne garde le changeset en attente"
CTSNODE_TEST_MAX_PAGES=$cap "$CTSNODE" --home "$T/region" region pull >"$T/out" 2>&1 || true
# SQLite may roll the whole transaction back itself: still « disque plein »,
# never its "cannot commit - no transaction is active".
assert_contains "$(cat "$T/out")" "disque plein"
case "$(cat "$T/out")" in *"no transaction"*) fail "message technique de SQLite : $(cat "$T/out")" ;; esac
python3 - "$T/region/node.db" <<'PY' || fail "base régionale abîmée"
import sqlite3, sys
assert sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
PY
assert_eq "$(cts "$T/region" member list --territory rouen-elbeuf --json | jq length)" 0 "rien d'appliqué à moitié"
assert_eq "$(cts "$T/region" status --json | jq '[.pending[] | select(.node == "re-secretariat")] | length')" 1 "changeset gardé en attente"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
assert_eq "$(cts "$T/region" member list --territory rouen-elbeuf --json | jq length)" 29 "appliqué au pull suivant"
pass "disque plein à l'import régional : gardé en attente, appliqué ensuite"

# A disk so full that SQLite cannot even extend its -shm file: even status
# cannot open the database. The message says "disque plein" (the file
# system's ENOSPC), not SQLite's "disk I/O error". Injected through
# SQLite's own system-call table (CTSNODE_TEST_ENOSPC_SQLITE).
before=$(cts "$T/re" status --json | jq -c '[.content_digest, .pending_ops, .last_seq]')
for cmd in status "member list" sync; do
	# shellcheck disable=SC2086
	CTSNODE_TEST_ENOSPC_SQLITE=1 expect_status 3 "$CTSNODE" --home "$T/re" $cmd
	assert_contains "$ERR" "disque plein"
	assert_contains "$ERR" "libérez de la place"
	case "$ERR" in *"disk I/O error"*) fail "message technique de SQLite : $ERR" ;; esac
done
assert_eq "$(cts "$T/re" status --json | jq -c '[.content_digest, .pending_ops, .last_seq]')" "$before" "rien de perdu"
pass "disque plein au point que status ne peut rien écrire : « disque plein », rien de perdu"
