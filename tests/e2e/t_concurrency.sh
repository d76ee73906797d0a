# Two ctsnode processes on one home never corrupt anything: the second
# waits for the first (node lock), or gives up with a clear message and
# exit code 5 when told not to wait long.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
cts "$T/region" region enroll --node re-secretariat --territory rouen-elbeuf \
	--key "$(cts "$T/re" key show | awk '{print $1" "$2}')" >/dev/null
cts "$T/region" region pull >/dev/null
cts "$T/re" sync --remote "$REPO" >/dev/null
ms=()
for i in 1 2 3 4; do ms+=("$(cts "$T/re" meeting add --body pleniere --date "2020-06-1$i" --title "Réunion $i")"); done

# Many writers and syncs at once, several rounds.
for round in 1 2 3; do
	pids=()
	for i in 0 1 2 3; do
		cts "$T/re" attendance import --meeting "${ms[$i]}" "$A/rouen-elbeuf.csv" --create-missing >"$T/o$i" 2>&1 & pids+=($!)
	done
	cts "$T/re" sync >"$T/os" 2>&1 & pids+=($!)
	cts "$T/region" region pull >"$T/or" 2>&1 & pids+=($!)
	cts "$T/re" member add --last-name "NOUVEAU$round" --first-name X --organisation Y --college etat >"$T/om" 2>&1 & pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || { cat "$T"/o*; fail "une commande concurrente a échoué (tour $round)"; }; done
done
python3 - "$T/re/node.db" "$T/region/node.db" <<'PY' || fail "base abîmée"
import sqlite3, sys
for db in sys.argv[1:]:
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok", db
PY
assert_eq "$(cts "$T/re" member list --json | jq length)" 32 "membres (29 + 3)"
for i in 0 1 2 3; do
	assert_eq "$(cts "$T/re" attendance list --meeting "${ms[$i]}" --json | jq length)" 40 "présences réunion $i"
done
cts "$T/re" sync >/dev/null; cts "$T/region" region pull >/dev/null; cts "$T/re" sync >/dev/null
assert_eq "$(cts "$T/region" status --json | jq -r .content_digest)" "$(cts "$T/re" status --json | jq -r .content_digest)" "convergence"
git --git-dir="$REPO" fsck --no-progress >/dev/null 2>&1 || fail "dépôt régional abîmé"
pass "commandes simultanées : elles s'attendent, rien n'est abîmé"

# A command that must not wait: clear message, exit code 5, nothing changed.
flock "$T/re/lock" sleep 3 &
holder=$!
sleep 0.3
before=$(sha256sum "$T/re/node.db")
CTSNODE_LOCK_TIMEOUT=0 expect_status 5 "$CTSNODE" --home "$T/re" member add --last-name OCCUPE --first-name X --organisation Y --college etat
assert_contains "$ERR" "occupé"
wait "$holder"
assert_eq "$(sha256sum "$T/re/node.db")" "$before" "base inchangée"
pass "nœud occupé : message clair, code 5"
