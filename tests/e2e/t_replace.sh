#!/usr/bin/env bash
# Issue 16, point 3 (part): a lost laptop replaced with `region replace`:
# the new device enrolled and the old one revoked at its last published
# number in one signed change; the new device's work is accepted
# everywhere and the audit is clean.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
key() { cts "$1" key show | awk '{print $1" "$2}'; }
names() { cts "$1" member list --territory dieppe --json | jq -r '[.[].last_name] | sort | join(",")'; }

make_region "$T/region" normandie region-normandie
make_territory "$T/lost" dieppe dp-portable-2019 "$T/region"
make_territory "$T/other" dieppe dp-accueil "$T/region"
for h in lost:dp-portable-2019 other:dp-accueil; do
	cts "$T/region" region enroll --node "${h#*:}" --territory dieppe --key "$(key "$T/${h%%:*}")" >/dev/null
done
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
cts "$T/lost" member add --last-name AVANT --first-name Perte --organisation X --college etat >/dev/null
expect_status 0 "$CTSNODE" --home "$T/lost" sync --remote "$REPO"
expect_status 0 "$CTSNODE" --home "$T/other" sync --remote "$REPO"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
last=$(cts "$T/region" region list --json | jq '.[] | select(.node == "dp-portable-2019") | .last_seq')

# The laptop is lost. A new one, a new identifier; the coordinator replaces.
make_territory "$T/new" dieppe dp-portable-2025 "$T/region"
expect_status 2 "$CTSNODE" --home "$T/region" region replace --node dp-portable-2019 --new-node dp-portable-2025
expect_status 0 "$CTSNODE" --home "$T/region" region replace --node dp-portable-2019 --new-node dp-portable-2025 --key "$(key "$T/new")"
assert_contains "$OUT" "révoqué après son n°$last"
expect_status 0 "$CTSNODE" --home "$T/region" seal --json
assert_eq "$(jq .sealed <<<"$OUT")" 1 "un seul changeset signé"
expect_status 1 "$CTSNODE" --home "$T/region" region replace --node dp-portable-2019 --new-node dp-autre --key "$(key "$T/other")"
assert_contains "$ERR" "déjà révoqué"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
expect_status 0 "$CTSNODE" --home "$T/region" region list --json
assert_eq "$(jq -c '.[] | select(.node == "dp-portable-2019") | [.state, .revoked_after]' <<<"$OUT")" "[\"revoked\",$last]" "ancien"
assert_eq "$(jq -c '.[] | select(.node == "dp-portable-2025") | [.state, .territory]' <<<"$OUT")" '["enrolled","dieppe"]' "nouveau"

cts "$T/new" member add --last-name APRES --first-name Remplacement --organisation X --college etat >/dev/null
expect_status 0 "$CTSNODE" --home "$T/new" sync --remote "$REPO"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
expect_status 0 "$CTSNODE" --home "$T/other" sync
for h in new other region; do assert_eq "$(names "$T/$h")" "APRES,AVANT" "membres vus par $h"; done
expect_status 0 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq '[.findings_total, (.notices | length)]' -c <<<"$OUT")" "[0,0]" "audit propre"
pass "poste perdu remplacé (region replace) : le nouveau accepté partout, l'ancien révoqué à son dernier n°, audit propre"
