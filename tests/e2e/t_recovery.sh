#!/usr/bin/env bash
# Issue 16, point 3: the key kept aside (`key export`), the laptop lost, a
# new one continues the node's chain from the last published number
# (`init --from-key`), refused while the remote does not answer; no fork,
# the audit clean.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
PASS="phrase du poste de dieppe"
key() { cts "$1" key show | awk '{print $1" "$2}'; }

make_region "$T/region" normandie region-normandie
CTSNODE_PASSPHRASE="$PASS" cts "$T/old" init --territory dieppe --node dp-secretariat --authority-key "$(key "$T/region")" >/dev/null
cts "$T/region" region enroll --node dp-secretariat --territory dieppe --key "$(key "$T/old")" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
for name in UN DEUX; do
	cts "$T/old" member add --last-name "$name" --first-name X --organisation X --college etat >/dev/null
	CTSNODE_PASSPHRASE="$PASS" expect_status 0 "$CTSNODE" --home "$T/old" sync --remote "$REPO"
done
last=$(cts "$T/old" status --json | jq .last_seq)
mkdir "$T/usb"
expect_status 0 "$CTSNODE" --home "$T/old" key export "$T/usb/dp.key"
assert_eq "$(stat -c %a "$T/usb/dp.key")" 600 "droits de la clé exportée"
cmp -s "$T/usb/dp.key" "$T/old/node.key" || fail "clé exportée différente"
grep -q '^kdf none' "$T/usb/dp.key" && fail "clé exportée en clair"
make_territory "$T/plain" dieppe dp-plain "$T/region"
expect_status 1 "$CTSNODE" --home "$T/plain" key export "$T/usb/plain.key"
assert_contains "$ERR" "pas de phrase de passe"
pass "key export : la clé chiffrée, 0600 (refusé pour une clé sans phrase de passe)"

# ---- the laptop is lost ----
rm -rf "$T/old"
CTSNODE_PASSPHRASE="$PASS" expect_status 2 "$CTSNODE" --home "$T/new" init --from-key "$T/usb/dp.key" --remote "$T/absent.git"
assert_contains "$ERR" "poste non créé"
assert_contains "$ERR" "bifurcation"
[ -e "$T/new/node.key" ] && fail "clé installée alors que le dépôt n'a pas répondu"
[ -e "$T/new/node.db" ] && fail "base créée alors que le dépôt n'a pas répondu"
CTSNODE_PASSPHRASE="mauvaise phrase" expect_status 1 "$CTSNODE" --home "$T/new" init --from-key "$T/usb/dp.key" --remote "$REPO"
CTSNODE_PASSPHRASE="$PASS" expect_status 0 "$CTSNODE" --home "$T/new" init --from-key "$T/usb/dp.key" --remote "$REPO"
assert_contains "$OUT" "dernier changeset publié : n°$last"
assert_eq "$(cts "$T/new" status --json | jq -r '[.node, .last_seq] | join(" ")')" "dp-secretariat $last" "chaîne reprise"
pass "init --from-key : refusé sans dépôt, puis la chaîne reprend au dernier numéro publié"

cts "$T/new" member add --last-name TROIS --first-name X --organisation X --college etat >/dev/null
CTSNODE_PASSPHRASE="$PASS" expect_status 0 "$CTSNODE" --home "$T/new" sync
assert_eq "$(cts "$T/new" status --json | jq .last_seq)" "$((last + 1))" "numéro suivant"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
assert_eq "$(cts "$T/region" member list --territory dieppe --json | jq -r '[.[].last_name] | sort | join(",")')" "DEUX,TROIS,UN" \
	"membres à la région"
expect_status 0 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq -c '[.findings_total, (.notices | length)]' <<<"$OUT")" "[0,0]" "audit propre"
pass "le nouveau poste continue sans bifurcation : accepté, audit propre"
