# Auditing without ctsnode: the stock-tool script of docs/AUDIT.md (git
# verify-commit, ssh-keygen -Y verify, jq, sha256sum, base64, od, awk),
# extracted from the document as it is, succeeds on a clean regional
# repository and prints the heads to keep; it fails on every attack built
# here with stock tools only (git plumbing, ssh-keygen -Y sign, git
# commit-tree -S, a few lines of python3): a flipped byte; allowed_signers
# edited on the region branch by a commit the authority did not sign; a
# changeset signed by a revoked key with a back-dated time; a small-order key
# whose forged signature (R = identity, S = 0) ssh-keygen and git accept; a
# branch wound back since the previous audit (with the heads it printed).
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
for want in 'verify-commit' 'ssh-keygen -Y verify' 'Overify-time' 'merge-base --is-ancestor'; do
	grep -q -- "$want" "$T/audit-stock.sh" || fail "le script de docs/AUDIT.md n'utilise pas $want"
done
sh -n "$T/audit-stock.sh" || fail "le script de docs/AUDIT.md n'est pas du shell valide"
AUDIT="$T/audit-stock.sh"

# ---- A small clean demo: a region and two territories, one revoked later ----
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
# Revoking lh after its n°2: a revocation is a number (registry.md), never a
# date, so allowed_signers has no valid-before and its earlier work verifies.
cts "$T/region" region revoke --node lh-secretariat --after-seq 2 >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull
git --git-dir="$REPO" show region:allowed_signers | grep -q '^lh-secretariat ' || fail "lh absent d'allowed_signers"
git --git-dir="$REPO" show region:allowed_signers | grep -q 'valid-before=' && fail "allowed_signers porte valid-before"
git --git-dir="$REPO" show region:registry.md | grep -q 'lh-secretariat .*après le n°2' || fail "révocation absente du registre"
expect_status 0 "$CTSNODE" audit "$REPO"
AUTH=$(key "$T/region")

expect_status 0 sh "$AUDIT" "$REPO" "$AUTH"
assert_contains "$OUT" "Aucune anomalie"
n=$(sed -n 's/^\([0-9]*\) commits et \([0-9]*\) changesets vérifiés.*/\2/p' <<<"$OUT")
[ "${n:-0}" -ge 5 ] || fail "le script n'a vérifié que ${n:-0} changesets"
printf '%s\n' "$OUT" >"$T/audit-1.txt"
heads=$(grep -c '^tête ' "$T/audit-1.txt" || true)
assert_eq "$heads" "$(git --git-dir="$REPO" for-each-ref refs/heads/nodes/ refs/heads/region | wc -l)" "têtes affichées"
grep -qx "tête region $(git --git-dir="$REPO" rev-parse region)" "$T/audit-1.txt" || fail "tête de region absente"
expect_status 0 sh "$AUDIT" "file://$REPO" "$AUTH" "$T/audit-1.txt"
assert_contains "$OUT" "Aucune anomalie"
expect_status 2 sh "$AUDIT" "$REPO"
pass "outils standard : dépôt propre accepté (nœud révoqué compris), têtes affichées puis vérifiées"

# ---- Stock-tool helpers for the attacks ----
# forged_sig NAMESPACE: an SSHSIG "signature" with the identity point as key,
# R = identity and S = 0. Made without any private key; it does not even
# depend on the message.
forged_sig() {
	python3 - "$1" <<'PY'
import base64, struct, sys
s = lambda b: struct.pack(">I", len(b)) + b
ident = bytes([1]) + bytes(31)
blob = b"SSHSIG" + struct.pack(">I", 1) + s(s(b"ssh-ed25519") + s(ident)) + s(sys.argv[1].encode()) + s(b"") \
    + s(b"sha512") + s(s(b"ssh-ed25519") + s(ident + bytes(32)))
b = base64.b64encode(blob).decode()
print("-----BEGIN SSH SIGNATURE-----")
for i in range(0, len(b), 70):
    print(b[i:i + 70])
print("-----END SSH SIGNATURE-----")
PY
}
# member_changeset OUT NODE TERRITORY SEQ PREV_FILE|"" [TIME]: a canonical
# changeset (lib.sh canonical_changeset) adding one member; TIME back-dates it.
member_changeset() {
	local ops
	ops=$(printf '[{"hlc":"%012x0000","op":"put","table":"member","id":"%s","set":{"last_name":"%s","first_name":"X","college":"etat","seat":"titulaire"}}]' \
		1592301600000 "$(cat /proc/sys/kernel/random/uuid)" "${2^^}")
	canonical_changeset "$1" "$2" "$3" "$4" "$5" '{}' "$ops"
	[ -z "${6:-}" ] || { jq -cS --arg t "$6" '.time = $t' "$1" >"$1.tmp" && mv "$1.tmp" "$1"; }
}
# publish REPO BRANCH KEYFILE NODE SRCDIR REL...: a commit of those files on
# BRANCH, signed with KEYFILE by stock git (lib.sh signed_commit).
publish() {
	local repo=$1 br=$2 parent
	parent=$(git --git-dir="$repo" rev-parse -q --verify "refs/heads/$br" || true)
	git --git-dir="$repo" update-ref "refs/heads/$br" "$(signed_commit "$repo" "$parent" "${@:3}")"
}
# only_failure OUTPUT WANT: the script failed on exactly one check, this one
# (every other check passed, so the script before this fix passed the attack).
only_failure() {
	assert_eq "$(grep -c '^ÉCHEC' <<<"$1")" 1 "anomalies relevées ($1)"
	assert_contains "$1" "$2"
}

# ---- 1. A flipped byte in a published changeset (git plumbing) ----
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
expect_status 1 sh "$AUDIT" "$F" "$AUTH"
assert_contains "$OUT" "ÉCHEC : $rel : ssh-keygen refuse la signature"
assert_contains "$OUT" "signature absente ou invalide"
assert_contains "$OUT" "ne fait pas qu'ajouter ses changesets"
assert_contains "$OUT" "ANOMALIES"
grep -q '^tête ' <<<"$OUT" && fail "têtes affichées malgré des anomalies"
expect_status 1 "$CTSNODE" audit "$F"
pass "outils standard : l'octet modifié est refusé (ssh-keygen, verify-commit, ajouts seulement), comme par ctsnode audit"

# ---- 2. allowed_signers edited on the region branch by a commit the
# authority did not sign: an intruder enrols its own key and publishes a
# node branch whose commits and changesets its key signs properly ----
R="$T/intrus.git"; cp -a "$REPO" "$R"; X="$T/intrus"; mkdir -p "$X/changesets/intrus"
ssh-keygen -q -t ed25519 -N '' -C intrus -f "$T/intrus.key"
git --git-dir="$R" show region:allowed_signers >"$X/allowed_signers"
printf 'intrus namespaces="git,cts-changeset" %s\n' "$(cut -d' ' -f1,2 "$T/intrus.key.pub")" >>"$X/allowed_signers"
publish "$R" region "$T/intrus.key" intrus "$X" allowed_signers
cs="changesets/intrus/000000000001.json"
member_changeset "$X/$cs" intrus rouen-elbeuf 1 ""
ssh-keygen -q -Y sign -f "$T/intrus.key" -n cts-changeset "$X/$cs"
publish "$R" nodes/intrus "$T/intrus.key" intrus "$X" "$cs" "$cs.sig"
ssh-keygen -Y verify -f "$X/allowed_signers" -I intrus -n cts-changeset -s "$X/$cs.sig" <"$X/$cs" >/dev/null 2>&1 ||
	fail "le changeset de l'intrus devrait vérifier avec son allowed_signers"
expect_status 1 sh "$AUDIT" "$R" "$AUTH"
only_failure "$OUT" "de region : pas signé par la clé de l'autorité"
expect_status 1 "$CTSNODE" audit "$R"
pass "outils standard : allowed_signers modifié par un commit que l'autorité n'a pas signé, refusé"

# ---- 3. A revoked key keeps signing, with back-dated times: lh is revoked
# after n°2; its n°3 says 2020 in `time` and in its commit dates. Every node
# ignores it by its number: a notice for both audits, not a failure ----
R="$T/revoque.git"; cp -a "$REPO" "$R"; X="$T/revoque"; mkdir -p "$X/changesets/lh-secretariat"
openssh_key "$T/lh" "$T/lh.ssh"
git --git-dir="$R" cat-file blob "nodes/lh-secretariat:changesets/lh-secretariat/000000000002.json" >"$X/prev.json"
git --git-dir="$R" cat-file -e "nodes/lh-secretariat:changesets/lh-secretariat/000000000003.json" 2>/dev/null &&
	fail "lh a déjà un n°3"
cs="changesets/lh-secretariat/000000000003.json"
member_changeset "$X/$cs" lh-secretariat le-havre 3 "$X/prev.json" 2020-01-15T10:00:00Z
ssh-keygen -q -Y sign -f "$T/lh.ssh" -n cts-changeset "$X/$cs"
GIT_COMMITTER_DATE="2020-01-15T10:00:00Z" GIT_AUTHOR_DATE="2020-01-15T10:00:00Z" \
	publish "$R" nodes/lh-secretariat "$T/lh.ssh" lh-secretariat "$X" "$cs" "$cs.sig"
expect_status 0 sh "$AUDIT" "$R" "$AUTH"
assert_contains "$OUT" "AVIS : changesets/lh-secretariat/000000000003.json : n°3 de lh-secretariat, révoqué après le n°2"
grep -q '^ÉCHEC' <<<"$OUT" && fail "le script compte un avis comme échec : $OUT"
expect_status 0 "$CTSNODE" audit "$R" --json
assert_eq "$(jq -c '[.notices[] | .kind, .node, .seq]' <<<"$OUT")" '["revoked_ignored","lh-secretariat",3]' "avis"
pass "outils standard : changeset d'une clé révoquée antidaté, ignoré par son numéro (avis des deux audits)"

# ---- 4. A small-order key: the authority (its key, stock git -S) publishes
# an allowed_signers with the identity point for node "forge"; forge's
# commit and changeset carry R = identity, S = 0, made without any key ----
R="$T/forge.git"; cp -a "$REPO" "$R"; X="$T/forge"; mkdir -p "$X/changesets/forge"
openssh_key "$T/region" "$T/region.ssh"
git --git-dir="$R" show region:allowed_signers >"$X/allowed_signers"
printf 'forge namespaces="git,cts-changeset" %s\n' "$(ed25519_line $IDENTITY_KEY_HEX)" >>"$X/allowed_signers"
publish "$R" region "$T/region.ssh" region-normandie "$X" allowed_signers
cs="changesets/forge/000000000001.json"
member_changeset "$X/$cs" forge dieppe 1 ""
forged_sig cts-changeset >"$X/$cs.sig"
tree=$(tree_with "$R" "" "$X" "$cs" "$cs.sig")
forged_commit=$({
	printf 'tree %s\nauthor forge <x@invalid> 1767225600 +0000\ncommitter forge <x@invalid> 1767225600 +0000\n' "$tree"
	forged_sig git | sed '1s/^/gpgsig /; 2,$s/^/ /'
	printf '\nforge : changeset 1\n'
} | git --git-dir="$R" hash-object -t commit -w --stdin)
git --git-dir="$R" update-ref refs/heads/nodes/forge "$forged_commit"
# Why the check matters: stock tools accept both forgeries.
ssh-keygen -Y verify -f "$X/allowed_signers" -I forge -n cts-changeset -s "$X/$cs.sig" <"$X/$cs" >"$T/sk.out" 2>&1 ||
	fail "ssh-keygen aurait dû accepter la signature fabriquée : $(cat "$T/sk.out")"
assert_contains "$(cat "$T/sk.out")" 'Good "cts-changeset" signature for forge'
echo "n'importe quel autre texte" | ssh-keygen -Y verify -f "$X/allowed_signers" -I forge -n cts-changeset -s "$X/$cs.sig" \
	>/dev/null 2>&1 || fail "la signature fabriquée devrait valoir pour tout message"
git --git-dir="$R" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$X/allowed_signers" verify-commit "$forged_commit" \
	>"$T/vc.out" 2>&1 || fail "git verify-commit aurait dû accepter le commit fabriqué : $(cat "$T/vc.out")"
assert_contains "$(cat "$T/vc.out")" 'Good "git" signature for forge'
expect_status 1 sh "$AUDIT" "$R" "$AUTH"
only_failure "$OUT" "clé de forge dans allowed_signers : clé d'ordre faible"
expect_status 1 "$CTSNODE" audit "$R"
pass "outils standard : clé d'ordre faible (ssh-keygen et git acceptent R = identité, S = 0), refusée par le script"

# ---- 5. A branch wound back since the previous audit: the authority's own
# branch loses its last commit (every remaining commit is genuine) ----
R="$T/recul.git"; cp -a "$REPO" "$R"
git --git-dir="$R" rev-parse -q --verify nodes/region-normandie~1 >/dev/null || fail "branche de l'autorité trop courte"
git --git-dir="$R" update-ref refs/heads/nodes/region-normandie "$(git --git-dir="$R" rev-parse nodes/region-normandie~1)"
expect_status 0 sh "$AUDIT" "$R" "$AUTH" # what a stateless audit cannot see (docs/AUDIT.md)
expect_status 1 sh "$AUDIT" "$R" "$AUTH" "$T/audit-1.txt"
only_failure "$OUT" "la branche nodes/region-normandie ne contient plus le commit"
pass "outils standard : branche reculée depuis l'audit précédent, repérée grâce aux têtes gardées"
