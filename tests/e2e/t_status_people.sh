#!/usr/bin/env bash
# Issue 16, point 6: a device not enrolled yet is told that its work waits
# for the region, and status speaks to people (enrolment, last sync, next
# steps). (Point 7, each territory keeping only its own, is not done.)
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

expect_status 0 "$CTSNODE" --home "$T/a1" status --json
assert_eq "$(jq '.pending | length' <<<"$OUT")" 0 "rien en attente sur a1"
assert_eq "$(jq -r .enrolment.state <<<"$OUT")" enrolled "a1 inscrit"
assert_eq "$(jq '.last_sync.received >= 0 and (.last_sync.date | test("^20"))' <<<"$OUT")" true "dernière synchronisation"
expect_status 0 "$CTSNODE" audit "$REPO"
pass "poste inscrit : status dit l'inscription et la dernière synchronisation, l'audit est propre"
