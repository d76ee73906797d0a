#!/usr/bin/env bash
# Issue 16, point 5: setup errors said as such. A wrong --authority-key at
# init gives one message and the way to fix it (rebuild --authority-key);
# a mistyped remote path, or a folder that is not a git repository, is an
# error (exit 2) and is not remembered; exit 4 stays for a remote that
# worked before and is out of reach now.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
key() { cts "$1" key show | awk '{print $1" "$2}'; }

make_region "$T/region" normandie region-normandie
make_region "$T/other" bretagne region-bretagne      # another region's key
make_territory "$T/good" dieppe dp-secretariat "$T/region"
make_territory "$T/bad" rouen re-secretariat "$T/other"
for spec in good:dieppe:dp-secretariat bad:rouen:re-secretariat; do
	IFS=: read -r h terr node <<<"$spec"
	cts "$T/region" region enroll --node "$node" --territory "$terr" --key "$(key "$T/$h")" >/dev/null
done
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"

# ---- a mistyped path, a folder that is not a repository: exit 2, not kept ----
cts "$T/good" member add --last-name GARDE --first-name X --organisation X --college etat >/dev/null
expect_status 2 "$CTSNODE" --home "$T/good" sync --remote "$T/regoin.git"
assert_contains "$ERR" "n'a jamais pu être atteint"
assert_contains "$ERR" "elle n'a pas été retenue"
assert_eq "$(cts "$T/good" remote show --json | jq -r '.remote // "null"')" null "adresse retenue après une faute de frappe"
[ -e "$T/regoin.git" ] && fail "le chemin mal tapé a été créé"
mkdir "$T/pas-un-depot"
expect_status 2 "$CTSNODE" --home "$T/good" sync --remote "$T/pas-un-depot"
assert_contains "$ERR" "n'a jamais pu être atteint"
expect_status 1 "$CTSNODE" --home "$T/good" sync
assert_contains "$ERR" "aucun dépôt régional configuré"
pass "chemin mal tapé ou dossier qui n'est pas un dépôt : code 2, rien de retenu"

# ---- the right one works and is kept; then, out of reach: exit 4 ----
expect_status 0 "$CTSNODE" --home "$T/good" sync --remote "$REPO"
assert_eq "$(cts "$T/good" remote show --json | jq -r .remote)" "$REPO" "adresse retenue"
mv "$REPO" "$T/debranche.git"
cts "$T/good" member add --last-name HORS --first-name Ligne --organisation X --college etat >/dev/null
expect_status 4 "$CTSNODE" --home "$T/good" sync
assert_contains "$OUT" "clé USB débranchée"
mv "$T/debranche.git" "$REPO"
expect_status 0 "$CTSNODE" --home "$T/good" sync
pass "dépôt qui a déjà répondu puis injoignable (clé USB débranchée) : code 4, travail gardé puis livré"

# ---- a wrong authority key at init: one message, the fix ----
cts "$T/bad" member add --last-name ATTENTE --first-name X --organisation X --college etat >/dev/null
expect_status 2 "$CTSNODE" --home "$T/bad" sync --remote "$REPO"
assert_contains "$ERR" "la clé de l'autorité donnée à l'initialisation ne correspond pas au dépôt régional"
assert_contains "$ERR" "$(key "$T/region")"
assert_contains "$ERR" "ctsnode rebuild --authority-key"
assert_eq "$(grep -c . <<<"$ERR")" 1 "lignes du message"
grep -q "pas encore inscrit" <<<"$OUT$ERR" && fail "les changesets de la région sont encore dits « pas encore inscrit »"
expect_status 0 "$CTSNODE" --home "$T/bad" rebuild --authority-key "$(key "$T/region")"
assert_contains "$OUT" "Clé de l'autorité corrigée"
expect_status 0 "$CTSNODE" --home "$T/bad" sync
expect_status 0 "$CTSNODE" --home "$T/bad" status --json
assert_eq "$(jq -r .enrolment.state <<<"$OUT")" enrolled "inscription reconnue après correction"
assert_eq "$(jq '.pending | length' <<<"$OUT")" 0 "rien en attente après correction"
expect_status 1 "$CTSNODE" --home "$T/bad" rebuild --authority-key "$(key "$T/other")"
assert_contains "$ERR" "déjà reconnue"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
expect_status 0 "$CTSNODE" --home "$T/region" member list --territory rouen --json
assert_eq "$(jq -r '.[].last_name' <<<"$OUT")" ATTENTE "travail du poste corrigé accepté"
pass "mauvaise clé d'autorité : un message, la correction (rebuild --authority-key), puis tout passe"
