#!/usr/bin/env bash
# Issue 16, point 1: a revoked device that keeps working offline, then
# syncs. Its own sync says it was revoked (when, from which number, what
# was accepted and not) and exits 1; it takes no new entry and can still
# export; the other nodes ignore its later changesets as expected (exit 0,
# one line in status); the audit reports notices, exits 0 and advances
# --state; stock git verify-commit and ssh-keygen agree (no valid-before).
. "$CTS_E2E_LIB"
REPO="$T/region.git"
DOC="$(cd "$(dirname "$CTS_E2E_LIB")/../.." && pwd)/docs/AUDIT.md"
key() { cts "$1" key show | awk '{print $1" "$2}'; }
last_seq() { cts "$1" status --json | jq .last_seq; }

make_region "$T/region" normandie region-normandie
make_territory "$T/aa" dieppe aa-secretariat "$T/region"
make_territory "$T/bb" dieppe bb-secretariat "$T/region"   # a second device of dieppe
for h in aa bb; do
	cts "$T/region" region enroll --node "$h-secretariat" --territory dieppe --key "$(key "$T/$h")" >/dev/null
done
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
cts "$T/aa" member add --last-name DURAND --first-name Claire --organisation X --college usagers >/dev/null
for h in aa bb; do expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$REPO"; done
N=$(last_seq "$T/aa")
[ "$N" -ge 1 ] || fail "aa n'a rien scellé"

# The region revokes aa after its n°N; aa does not know yet and works on.
cts "$T/region" region revoke --node aa-secretariat --after-seq "$N" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull
git --git-dir="$REPO" show region:allowed_signers >"$T/allowed_signers"
grep -q valid-before "$T/allowed_signers" && fail "allowed_signers porte encore valid-before"
cts "$T/aa" member add --last-name OUBLIE --first-name Paul --organisation Y --college etat >/dev/null
expect_status 0 "$CTSNODE" --home "$T/aa" seal
cts "$T/aa" member add --last-name NONSCELLE --first-name Anne --organisation Z --college etat >/dev/null

# ---- its own sync: said, exit 1 ----
expect_status 1 "$CTSNODE" --home "$T/aa" sync
assert_contains "$OUT" "RÉVOQUÉ : la région a révoqué ce poste (aa-secretariat) le 20"
assert_contains "$OUT" "à partir de son changeset n°$((N + 1))"
assert_contains "$OUT" "Accepté : ses changesets n°1 à n°$N."
# (not known yet when it began: this sync sealed the last entry, n°N+2)
assert_contains "$OUT" "Non accepté : ses changesets n°$((N + 1)) à n°$((N + 2))"
assert_contains "$OUT" "ctsnode export DOSSIER"
expect_status 1 "$CTSNODE" --home "$T/aa" sync --json
assert_eq "$(jq .revoked.valid_up_to <<<"$OUT")" "$N" "json revoked.valid_up_to"
assert_eq "$(last_seq "$T/aa")" "$((N + 2))" "rien de plus scellé une fois la révocation connue"
pass "le poste révoqué le sait : date, numéros acceptés et non acceptés, code 1"

expect_status 1 "$CTSNODE" --home "$T/aa" member add --last-name NOUVEAU --first-name Z --organisation Z --college etat
assert_contains "$ERR" "n'accepte plus de saisie"
expect_status 0 "$CTSNODE" --home "$T/aa" export "$T/export"
assert_contains "$OUT" "2 saisie(s) non acceptée(s)"
assert_contains "$OUT" "ctsnode import DOSSIER"
assert_eq "$(ls "$T/export/changesets/aa-secretariat" | grep -c '\.json$')" "$(last_seq "$T/aa")" "historique du poste exporté"
grep -q OUBLIE "$T/export/saisies-non-acceptees.csv" || fail "OUBLIE absent de l'export"
grep -q NONSCELLE "$T/export/saisies-non-acceptees.csv" || fail "NONSCELLE absent de l'export"
grep -q DURAND "$T/export/saisies-non-acceptees.csv" && fail "DURAND (accepté) dans l'export"
assert_eq "$(jq length "$T/export/saisies-non-acceptees.json")" 2 "saisies exportées (json)"
assert_eq "$(stat -c %a "$T/export/saisies-non-acceptees.csv")" 600 "droits de l'export"
pass "le poste révoqué refuse les nouvelles saisies et exporte celles qui n'ont pas été acceptées"

# ---- the others: ignored as expected ----
expect_status 0 "$CTSNODE" --home "$T/bb" sync
assert_contains "$OUT" "ignoré(s), comme prévu"
expect_status 0 "$CTSNODE" --home "$T/bb" sync
expect_status 0 "$CTSNODE" --home "$T/bb" status
assert_eq "$(grep -c 'Pour information' <<<"$OUT")" 1 "lignes d'information"
assert_contains "$OUT" "2 changeset(s) de aa-secretariat (n°$((N + 1)) à n°$((N + 2))) ignoré(s), comme prévu"
grep -q "refusé" <<<"$OUT" && fail "status de bb parle encore de refus : $OUT"
expect_status 0 "$CTSNODE" --home "$T/bb" status --json
assert_eq "$(jq '.refused | length' <<<"$OUT")" 0 "refus listés"
assert_eq "$(jq -r '.ignored[0].node' <<<"$OUT")" aa-secretariat "ignoré (json)"
expect_status 0 "$CTSNODE" --home "$T/bb" member list --territory dieppe --json
assert_eq "$(jq -r '[.[].last_name] | sort | join(",")' <<<"$OUT")" DURAND "membres de dieppe vus par bb"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
pass "les autres nœuds ignorent le travail postérieur du poste révoqué : code 0, une ligne d'information"

# ---- the audit: notices, exit 0, --state advances ----
expect_status 0 "$CTSNODE" audit "$REPO" --json --state "$T/audit.state"
assert_eq "$(jq -r '.notices[0].kind' <<<"$OUT")" revoked_ignored "avis"
assert_eq "$(jq -r '.notices[0].seq' <<<"$OUT")" "$((N + 1))" "numéro de l'avis"
assert_eq "$(jq '.findings_total' <<<"$OUT")" 0 "constats"
assert_eq "$(jq '.state.written' <<<"$OUT")" true "état écrit"
expect_status 0 "$CTSNODE" audit "$REPO" --state "$T/audit.state"
assert_contains "$OUT" "Avis (pas des constats"
pass "l'audit signale un avis, rend 0 et avance --state"

# ---- stock tools agree: every commit of aa verifies (no date), by number
# its n°N+1 is ignored (the script of docs/AUDIT.md says AVIS, exits 0) ----
for c in $(git --git-dir="$REPO" rev-list nodes/aa-secretariat); do
	git --git-dir="$REPO" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit "$c" \
		>/dev/null 2>"$T/vc" || fail "git verify-commit refuse $c : $(cat "$T/vc")"
done
awk '/<!-- audit-stock.sh/ { armed = 1; next }
     armed && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$DOC" >"$T/audit-stock.sh"
expect_status 0 sh "$T/audit-stock.sh" "$REPO" "$(key "$T/region")"
assert_contains "$OUT" "AVIS : changesets/aa-secretariat/$(printf %012d $((N + 1))).json"
pass "outils standard d'accord : signatures bonnes, révocation par numéro (avis)"

# ---- region list (point 2): every node, territory, role, state, last number ----
make_territory "$T/cc" caen cc-secretariat "$T/region"
cts "$T/cc" member add --last-name ATTENTE --first-name X --organisation X --college etat >/dev/null
"$CTSNODE" --home "$T/cc" sync --remote "$REPO" >/dev/null 2>&1 || true
expect_status 0 "$CTSNODE" --home "$T/region" region pull
expect_status 0 "$CTSNODE" --home "$T/region" region list --json
assert_eq "$(jq -c '.[] | select(.node == "cc-secretariat") | [.territory, .state, .last_seq]' <<<"$OUT")" \
	'["caen","pending",1]' "poste pas encore inscrit"
assert_eq "$(jq -c '[.[] | .node]' <<<"$OUT")" '["region-normandie","aa-secretariat","bb-secretariat","cc-secretariat"]' \
	"ordre des postes"
assert_eq "$(jq -c '.[] | select(.node == "aa-secretariat") | [.territory, .role, .state, .revoked_after, .last_seq]' <<<"$OUT")" \
	"[\"dieppe\",\"territory\",\"revoked\",$N,$N]" "aa dans la liste"
assert_eq "$(jq -r '.[] | select(.node == "bb-secretariat") | .state' <<<"$OUT")" enrolled "bb dans la liste"
jq -e '.[] | select(.node == "aa-secretariat") | .last_time | test("^20")' <<<"$OUT" >/dev/null || fail "date du dernier changeset"
expect_status 0 "$CTSNODE" --home "$T/region" region list
assert_contains "$OUT" "révoqué après le n°$N"
assert_contains "$(grep bb-secretariat <<<"$OUT")" "inscrit"
assert_contains "$(grep cc-secretariat <<<"$OUT")" "pas encore inscrit"
# Columns aligned by display width (accents, "n°"): every column starts under its header.
python3 - "$OUT" <<'PY' || fail "colonnes de region list mal alignées : $OUT"
import sys
lines = [l for l in sys.argv[1].split("\n") if l.strip()][:-1]
head = lines[0]
for h in ("Territoire", "Rôle", "État", "Dernier", "Scellé le"):
    i = head.index(h)
    for row in lines[1:]:
        assert row[i - 1] == " " and row[i] != " ", (h, row)
PY
pass "region list : territoire, rôle, état, dernier numéro et sa date"
