#!/usr/bin/env bash
# Issue 16, point 7: each territory keeps its own. A territory device keeps
# its territory's nodes, the authority's and the region branch; another
# territory's changesets are not kept (nothing of them in its database) and
# never waited for; the regional node keeps everything. Also point 6: a
# device not enrolled yet is told that its work waits for the region, and
# status speaks to people (enrolment, last sync, next steps).
. "$CTS_E2E_LIB"
REPO="$T/region.git"
key() { cts "$1" key show | awk '{print $1" "$2}'; }
member() { cts "$1" member add --last-name "$2" --first-name X --organisation X --college etat >/dev/null; }

make_region "$T/region" normandie region-normandie
make_territory "$T/a1" dieppe dp-poste-1 "$T/region"
make_territory "$T/a2" dieppe dp-poste-2 "$T/region"
make_territory "$T/b1" rouen re-poste-1 "$T/region"
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"

# ---- not enrolled yet: its work waits, said so, exit 1 ----
member "$T/a1" DIEPPOIS
expect_status 1 "$CTSNODE" --home "$T/a1" sync --remote "$REPO"
assert_contains "$OUT" "pas encore inscrit par la région"
grep -q "^Envoyé" <<<"$OUT" && fail "un poste pas encore inscrit est dit « Envoyé »"
expect_status 0 "$CTSNODE" --home "$T/a1" status --json
assert_eq "$(jq -r .enrolment.state <<<"$OUT")" not_enrolled "inscription (json)"
assert_contains "$(jq -r '.next_steps | join(" ")' <<<"$OUT")" "son travail attend la région"
expect_status 0 "$CTSNODE" --home "$T/a1" status
assert_contains "$OUT" "En bref"
assert_contains "$OUT" "Prochaine étape : Ce poste n'est pas encore inscrit"
pass "poste pas encore inscrit : son travail attend la région (code 1, status le dit)"

for spec in a1:dieppe:dp-poste-1 a2:dieppe:dp-poste-2 b1:rouen:re-poste-1; do
	IFS=: read -r h terr node <<<"$spec"
	cts "$T/region" region enroll --node "$node" --territory "$terr" --key "$(key "$T/$h")" >/dev/null
done
expect_status 0 "$CTSNODE" --home "$T/region" region pull
member "$T/a2" DIEPPOIS-DEUX
member "$T/b1" ROUENNAIS
for h in a1 a2 b1; do expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$REPO"; done
expect_status 0 "$CTSNODE" --home "$T/region" region pull
for h in a1 a2 b1; do expect_status 0 "$CTSNODE" --home "$T/$h" sync; done
grep -q "attend" <<<"$OUT" && fail "b1 attend quelque chose : $OUT"

# ---- what each one keeps ----
names() { cts "$1" member list --territory "$2" --json | jq -r '[.[].last_name] | sort | join(",")'; }
assert_eq "$(names "$T/a1" dieppe)" "DIEPPOIS,DIEPPOIS-DEUX" "dieppe vu par a1"
assert_eq "$(names "$T/a2" dieppe)" "DIEPPOIS,DIEPPOIS-DEUX" "dieppe vu par a2"
assert_eq "$(names "$T/a1" rouen)" "" "rouen vu par a1"
assert_eq "$(names "$T/b1" dieppe)" "" "dieppe vu par b1"
assert_eq "$(names "$T/region" dieppe)" "DIEPPOIS,DIEPPOIS-DEUX" "dieppe vu par la région"
assert_eq "$(names "$T/region" rouen)" "ROUENNAIS" "rouen vu par la région"
for q in "SELECT count(*) FROM changeset WHERE node = 're-poste-1'" "SELECT count(*) FROM inbox WHERE node = 're-poste-1'" \
	"SELECT count(*) FROM member WHERE last_name = 'ROUENNAIS'" "SELECT count(*) FROM fstate WHERE value LIKE '%ROUENNAIS%'"; do
	assert_eq "$(sqlite3 "file:$T/a1/node.db?mode=ro" "$q")" 0 "a1 : $q"
done
ls "$T/a1/changesets" | grep -q re-poste-1 && fail "a1 garde les fichiers de re-poste-1"
assert_eq "$(sqlite3 "file:$T/region/node.db?mode=ro" "SELECT count(*) FROM changeset WHERE node = 're-poste-1'")" 1 "région"
expect_status 0 "$CTSNODE" --home "$T/a1" status --json
assert_eq "$(jq '.pending | length' <<<"$OUT")" 0 "rien en attente sur a1"
assert_eq "$(jq -r .enrolment.state <<<"$OUT")" enrolled "a1 inscrit"
assert_eq "$(jq '.last_sync.received >= 0 and (.last_sync.date | test("^20"))' <<<"$OUT")" true "dernière synchronisation"
expect_status 0 "$CTSNODE" audit "$REPO"
pass "chaque territoire garde le sien : rien de rouen dans la base de dieppe, la région garde tout"
