# Auditing without ctsnode: the stock-tool script of docs/AUDIT.md (git
# verify-commit, ssh-keygen -Y verify, jq, sha256sum), extracted from the
# document as it is, succeeds on a clean regional repository and fails on
# one where a byte of a published changeset was flipped.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"
DOC="$(cd "$(dirname "$CTS_E2E_LIB")/../.." && pwd)/docs/AUDIT.md"
key() { cts "$1" key show | awk '{print $1" "$2}'; }

# The script block that follows the marker comment in the document.
[ -f "$DOC" ] || fail "document introuvable : $DOC"
awk '/<!-- audit-stock.sh/ { armed = 1; next }
     armed && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$DOC" >"$T/audit-stock.sh"
grep -q 'verify-commit' "$T/audit-stock.sh" || fail "bloc de script introuvable dans docs/AUDIT.md"
grep -q 'ssh-keygen -Y verify' "$T/audit-stock.sh" || fail "le script n'appelle pas ssh-keygen -Y verify"
grep -q 'Overify-time' "$T/audit-stock.sh" || fail "le script n'utilise pas -Overify-time"
sh -n "$T/audit-stock.sh" || fail "le script de docs/AUDIT.md n'est pas du shell valide"

# A small clean demo: a region and two territories, one revoked later.
make_region "$T/region" normandie region-normandie
for spec in re:rouen-elbeuf:re-secretariat lh:le-havre:lh-secretariat; do
	IFS=: read -r h terr node <<<"$spec"
	make_territory "$T/$h" "$terr" "$node" "$T/region"
	cts "$T/region" region enroll --node "$node" --territory "$terr" --key "$(key "$T/$h")" >/dev/null
done
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
m=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
cts "$T/lh" member add --last-name DURAND --first-name Claire --organisation X --college usagers >/dev/null
for h in re lh; do expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$REPO"; done
cts "$T/lh" member add --last-name MARTIN --first-name Paul --organisation Y --college etat >/dev/null
expect_status 0 "$CTSNODE" --home "$T/lh" sync
# Revoking lh after its n°2: its earlier work must still verify (valid-before).
cts "$T/region" region revoke --node lh-secretariat --after-seq 2 >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull
git --git-dir="$REPO" show region:allowed_signers | grep -q '^lh-secretariat .*valid-before=' ||
	fail "allowed_signers sans valid-before pour le nœud révoqué"
expect_status 0 "$CTSNODE" audit "$REPO"

expect_status 0 sh "$T/audit-stock.sh" "$REPO"
assert_contains "$OUT" "Aucune anomalie"
assert_contains "$OUT" "changesets vérifiés"
n=$(sed -n 's/^\([0-9]*\) commits et \([0-9]*\) changesets vérifiés.*/\2/p' <<<"$OUT")
[ "${n:-0}" -ge 5 ] || fail "le script n'a vérifié que ${n:-0} changesets"
expect_status 0 sh "$T/audit-stock.sh" "file://$REPO"
pass "outils standard (script de docs/AUDIT.md) : dépôt propre accepté, nœud révoqué compris"

# The flipped-byte case: a byte changed in a published changeset, committed
# with plain git plumbing on the node branch.
F="$T/flipped.git"; cp -a "$REPO" "$F"
rel=$(printf 'changesets/%s/%012d.json' re-secretariat 1)
git --git-dir="$F" cat-file blob "nodes/re-secretariat:$rel" | sed 's/"Plénière"/"Plénièrf"/' >"$T/flipped.json"
cmp -s "$T/flipped.json" <(git --git-dir="$F" cat-file blob "nodes/re-secretariat:$rel") && fail "octet non modifié"
base=$(git --git-dir="$F" rev-parse nodes/re-secretariat)
GIT_INDEX_FILE="$T/idx" git --git-dir="$F" read-tree "$base"
blob=$(git --git-dir="$F" hash-object -w "$T/flipped.json")
GIT_INDEX_FILE="$T/idx" git --git-dir="$F" update-index --add --cacheinfo "100644,$blob,$rel"
tree=$(GIT_INDEX_FILE="$T/idx" git --git-dir="$F" write-tree)
git --git-dir="$F" update-ref refs/heads/nodes/re-secretariat \
	"$(git --git-dir="$F" -c user.name=x -c user.email=x@invalid commit-tree "$tree" -p "$base" -m "octet")" "$base"

expect_status 1 sh "$T/audit-stock.sh" "$F"
assert_contains "$OUT" "ÉCHEC : $rel : ssh-keygen refuse la signature"
assert_contains "$OUT" "signature absente ou invalide"
assert_contains "$OUT" "ne fait pas qu'ajouter ses changesets"
assert_contains "$OUT" "ANOMALIES"
expect_status 1 "$CTSNODE" audit "$F"
pass "outils standard : l'octet modifié est refusé (ssh-keygen, verify-commit, ajouts seulement), comme par ctsnode audit"
