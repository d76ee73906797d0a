# ctsnode audit: a clean regional repository audits with no finding; a
# tamper corpus generated from copies of it (plain git plumbing, crafted
# changesets) is detected case by case and named by its kind (100 %
# required, the table is printed); --state and checkpoints catch rewritten
# branches; --check-report accepts a published report and rejects a changed
# figure; usage and I/O exit codes.
. "$CTS_E2E_LIB"
: "${CTS_CRAFT:?CTS_CRAFT must point to the cts_craft test tool}"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"
key() { cts "$1" key show | awk '{print $1" "$2}'; }
seqfile() { printf 'changesets/%s/%012d.json' "$1" "$2"; }

# ---- A clean demo: a region, three territories, synced through a bare repo ----
make_region "$T/region" normandie region-normandie
enroll_territories "$T/region" re:rouen-elbeuf:re-secretariat lh:le-havre:lh-secretariat dp:dieppe:dp-secretariat
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
m=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
m=$(cts "$T/lh" meeting add --body pleniere --date 2020-06-17 --title "Plénière")
cts "$T/lh" attendance import --meeting "$m" "$A/le-havre.csv" --create-missing >/dev/null
cts "$T/lh" opinion add --meeting "$m" --subject "Diagnostic santé mentale" --for 10 --against 2 --abstain 1 \
	--outcome favorable >/dev/null
for h in re lh; do expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$REPO"; done
for i in 1 2 3; do # dieppe: three changesets, one per sync
	cts "$T/dp" member add --last-name "DURAND$i" --first-name Claire --organisation "CH Dieppe" --college usagers >/dev/null
	expect_status 0 "$CTSNODE" --home "$T/dp" sync --remote "$REPO"
done
expect_status 0 "$CTSNODE" --home "$T/region" region pull # checkpoints every head
for h in re lh dp; do expect_status 0 "$CTSNODE" --home "$T/$h" sync; done
# re keeps working: its n°2 witnesses (`seen`) the heads it had imported,
# the authority's checkpoint among them.
cts "$T/re" member add --last-name TEMOIN --first-name Paul --organisation "CH Rouen" --college etat >/dev/null
expect_status 0 "$CTSNODE" --home "$T/re" sync
assert_eq "$(git --git-dir="$REPO" ls-tree --name-only "nodes/dp-secretariat" changesets/dp-secretariat/ | grep -c '\.json$')" 3 \
	"changesets de dp-secretariat"

expect_status 0 "$CTSNODE" audit "$REPO" --json
J="$OUT"
assert_eq "$(jq .ok <<<"$J")" true "ok"
assert_eq "$(jq '.findings | length' <<<"$J")" 0 "constats sur le dépôt propre"
assert_eq "$(jq -r .authority <<<"$J")" region-normandie "autorité"
assert_eq "$(jq '.nodes | keys | length' <<<"$J")" 4 "nœuds résumés"
for n in region-normandie re-secretariat lh-secretariat dp-secretariat; do
	c=$(jq --arg n "$n" '.nodes[$n].changesets' <<<"$J")
	[ "$c" -ge 1 ] || fail "aucun changeset compté pour $n"
	assert_eq "$(jq --arg n "$n" '.nodes[$n].verified' <<<"$J")" "$c" "changesets vérifiés de $n"
	assert_eq "$(jq --arg n "$n" '.nodes[$n].findings' <<<"$J")" 0 "constats de $n"
done
assert_eq "$(jq '.nodes["dp-secretariat"].changesets' <<<"$J")" 3 "changesets de dp"
assert_eq "$(jq -r .completeness <<<"$J")" witnessed "complétude relative aux témoins"
for n in region-normandie re-secretariat lh-secretariat dp-secretariat; do
	[ "$(jq --arg n "$n" '.nodes[$n].head_id | test("^[0-9a-f]{64}$")' <<<"$J")" = true ] || fail "empreinte de tête de $n"
done
AUTH_HEAD="region-normandie=$(jq -r '.nodes["region-normandie"] | "\(.last_seq):\(.head_id)"' <<<"$J")"
[ "$(jq .checkpoints <<<"$J")" -ge 3 ] || fail "points de contrôle de l'autorité non lus"
pass "dépôt propre : aucun constat, résumé par nœud, code 0"

expect_status 0 "$CTSNODE" audit "$REPO"
assert_contains "$OUT" "Aucun constat"
assert_contains "$OUT" "dp-secretariat"
mkdir -p "$T/tmp"
expect_status 0 env TMPDIR="$T/tmp" "$CTSNODE" audit "file://$REPO" --json
assert_eq "$(jq .ok <<<"$OUT")" true "audit par URL file://"
assert_eq "$(ls -A "$T/tmp")" "" "dossier temporaire du clone effacé"
W="$T/work"; git clone -q "$REPO" "$W" 2>/dev/null
expect_status 0 "$CTSNODE" audit "$W" --json
assert_eq "$(jq .ok <<<"$OUT")" true "audit d'un clone ordinaire (refs/remotes/origin)"
pass "sortie lisible, URL file:// (copie temporaire effacée), clone ordinaire"

expect_status 2 "$CTSNODE" audit
expect_status 2 "$CTSNODE" audit "$REPO" --bogus
expect_status 3 "$CTSNODE" audit "$T/nothing-here"
assert_contains "$ERR" "nothing-here"
echo '{"format": "autre"}' >"$T/bad-state.json"
expect_status 3 "$CTSNODE" audit "$REPO" --state "$T/bad-state.json"
pass "codes de sortie : 2 utilisation, 3 dépôt ou état illisible"

# ---- Helpers to tamper with copies of the clean repository ----
fresh() { rm -rf "$T/cases/$1"; mkdir -p "$T/cases/$1"; cp -a "$REPO" "$T/cases/$1/repo.git"; echo "$T/cases/$1/repo.git"; }
# rewrite_root REPO BRANCH [REL...]: replace BRANCH by one new root commit
# whose tree is the tip's tree without the paths REL.
rewrite_root() {
	local repo=$1 br=$2 idx="$T/idx" tree commit rel
	shift 2
	rm -f "$idx"
	GIT_INDEX_FILE="$idx" git --git-dir="$repo" read-tree "refs/heads/$br"
	mkdir -p "$T/empty-worktree"
	for rel in "$@"; do
		GIT_INDEX_FILE="$idx" git --git-dir="$repo" --work-tree="$T/empty-worktree" update-index --force-remove "$rel"
	done
	tree=$(GIT_INDEX_FILE="$idx" git --git-dir="$repo" write-tree)
	commit=$(git --git-dir="$repo" -c user.name=x -c user.email=x@invalid commit-tree "$tree" -m "historique réécrit")
	git --git-dir="$repo" update-ref "refs/heads/$br" "$commit"
}
hlc_of() { printf '%012x0000' "$1"; } # ms -> HLC text
# member_ops FILE HLC NAME: one valid territory operation
member_ops() {
	printf '[{"hlc":"%s","op":"put","table":"member","id":"%s","set":{"last_name":"%s","first_name":"X","organisation":"Y","college":"etat"}}]' \
		"$2" "$(cat /proc/sys/kernel/random/uuid)" "$3" >"$1"
}
NOW_MS=$(($(date +%s) * 1000))
DPKEY="$T/dp/node.key"

RESULTS=()
# pad TEXT WIDTH: TEXT left-aligned in WIDTH characters (not bytes).
pad() { local n; n=$(printf '%s' "$1" | LC_ALL=C.UTF-8 wc -m); printf '%s%*s' "$1" $(($2 > n ? $2 - n : 0)) ''; }
# verdict CASE DESCRIPTION EXPECTED_KIND NODE SEQ REPO [audit options...]
verdict() {
	local case=$1 desc=$2 want=$3 node=$4 seq=$5 repo=$6 kinds hit ok
	shift 6
	set +e
	"$CTSNODE" audit "$repo" --json "$@" >"$T/cases/$case.json" 2>"$T/cases/$case.err"
	local rc=$?
	set -e
	kinds=$(jq -r '[.findings[].kind] | unique | join(",")' "$T/cases/$case.json" 2>/dev/null || echo "?")
	hit=$(jq --arg k "$want" --arg n "$node" --arg s "$seq" \
		'[.findings[] | select(.kind == $k and (.node // "") == $n and (($s == "") or ((.seq // 0) | tostring) == $s))] | length' \
		"$T/cases/$case.json" 2>/dev/null || echo 0)
	ok=MANQUÉ
	if [ "$rc" -eq 1 ] && [ "$hit" -ge 1 ] && [ "$(jq .ok "$T/cases/$case.json")" = false ]; then ok=détecté; fi
	RESULTS+=("$(pad "$case" 4)$(pad "$desc" 58)$(pad "$want" 23)$(pad "$ok" 10)$kinds")
}

# 1. A flipped byte in a changeset, committed on the node branch.
R=$(fresh 1); X="$T/cases/1/files"
extract "$R" nodes/re-secretariat re-secretariat 1 "$X"
f="$X/$(seqfile re-secretariat 1)"
grep -q '"Plénière"' "$f" || fail "titre introuvable dans le changeset"
sed -i 's/"Plénière"/"Plénièrf"/' "$f"
commit_paths "$R" nodes/re-secretariat "$X" "$(seqfile re-secretariat 1)"
verdict 1 "octet modifié dans un changeset" bad_signature re-secretariat 1 "$R"
cp -a "$R" "$T/flipped.git" # kept for the stock-tools comparison below

# 2. A signature taken from another changeset.
R=$(fresh 2); X="$T/cases/2/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
member_ops "$X/ops.json" "$(hlc_of "$NOW_MS")" VOLEE
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 4 --prev-from "$X/$(seqfile dp-secretariat 3)" \
	--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X" >/dev/null
cp "$X/$(seqfile dp-secretariat 3).sig" "$X/$(seqfile dp-secretariat 4).sig"
commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile dp-secretariat 4)" "$(seqfile dp-secretariat 4).sig"
verdict 2 "signature prise sur un autre changeset" bad_signature dp-secretariat 4 "$R"

# 3. A changeset deleted in the middle (branch rewritten without it).
R=$(fresh 3)
rewrite_root "$R" nodes/dp-secretariat "$(seqfile dp-secretariat 2)" "$(seqfile dp-secretariat 2).sig"
verdict 3 "changeset supprimé au milieu de la chaîne" missing_changeset dp-secretariat 2 "$R"

# 4a. A rewritten branch, against the state of a previous audit.
R=$(fresh 4a)
expect_status 0 "$CTSNODE" audit "$R" --json --state "$T/cases/4a.state"
assert_eq "$(jq .state.written <<<"$OUT")" true "état écrit après un audit sans constat"
jq -e '.refs["nodes/re-secretariat"] | test("^[0-9a-f]{40}$")' "$T/cases/4a.state" >/dev/null || fail "état sans la tête de re-secretariat"
expect_status 0 "$CTSNODE" audit "$R" --json --state "$T/cases/4a.state"
rewrite_root "$R" nodes/re-secretariat
cp "$T/cases/4a.state" "$T/cases/4a.state.before"
verdict 4a "branche réécrite (contre --state)" rewritten_branch re-secretariat "" "$R" --state "$T/cases/4a.state"
cmp -s "$T/cases/4a.state" "$T/cases/4a.state.before" || fail "l'état a été réécrit malgré des constats"

# 4b. A rewritten branch whose checkpointed head changed.
R=$(fresh 4b); X="$T/cases/4b/files"
extract "$R" nodes/dp-secretariat dp-secretariat 2 "$X"
member_ops "$X/ops.json" "$(hlc_of "$NOW_MS")" REECRIT
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 3 --prev-from "$X/$(seqfile dp-secretariat 2)" \
	--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X" >/dev/null
rewrite_root "$R" nodes/dp-secretariat "$(seqfile dp-secretariat 3)" "$(seqfile dp-secretariat 3).sig"
commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile dp-secretariat 3)" "$(seqfile dp-secretariat 3).sig"
verdict 4b "branche réécrite (contre un point de contrôle)" checkpoint_violation dp-secretariat 3 "$R"

# 5. A fork: another validly signed version of one (node, seq) on another branch.
R=$(fresh 5); X="$T/cases/5/files"
extract "$R" nodes/dp-secretariat dp-secretariat 1 "$X"
member_ops "$X/ops.json" "$(hlc_of "$NOW_MS")" BIFURCATION
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 2 --prev-from "$X/$(seqfile dp-secretariat 1)" \
	--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X" >/dev/null
commit_paths "$R" archive "$X" "$(seqfile dp-secretariat 2)" "$(seqfile dp-secretariat 2).sig"
verdict 5 "bifurcation (deux versions d'un même n°)" fork dp-secretariat 2 "$R"

# 6. A changeset of node A copied into node B's branch.
R=$(fresh 6); X="$T/cases/6/files"
extract "$R" nodes/lh-secretariat lh-secretariat 1 "$X"
commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile lh-secretariat 1)" "$(seqfile lh-secretariat 1).sig"
verdict 6 "changeset de A copié dans la branche de B" foreign_file dp-secretariat "" "$R"

# 7. A changeset signed by a territory key, writing another territory's record.
R=$(fresh 7); X="$T/cases/7/files"
extract "$R" nodes/lh-secretariat lh-secretariat 1 "$X"
member_ops "$X/ops.json" "$(hlc_of "$NOW_MS")" INTRUS
"$CTS_CRAFT" --key "$T/lh/node.key" --node lh-secretariat --territory rouen-elbeuf --seq 2 \
	--prev-from "$X/$(seqfile lh-secretariat 1)" --time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X" >/dev/null
commit_paths "$R" nodes/lh-secretariat "$X" "$(seqfile lh-secretariat 2)" "$(seqfile lh-secretariat 2).sig"
verdict 7 "clé d'un territoire écrivant un autre territoire" wrong_territory lh-secretariat 2 "$R"

# 8. A revoked key used after its last valid seq: the region revokes dp
# after n°3, and dp keeps writing and publishing.
R=$(fresh 8)
cp -a "$T/region" "$T/cases/8/region"; cp -a "$T/dp" "$T/cases/8/dp"
cts "$T/cases/8/region" region revoke --node dp-secretariat --after-seq 3 >/dev/null
expect_status 0 "$CTSNODE" --home "$T/cases/8/region" region pull --remote "$R"
cts "$T/cases/8/dp" member add --last-name APRES --first-name Revocation --organisation X --college etat >/dev/null
"$CTSNODE" --home "$T/cases/8/dp" sync --remote "$R" >/dev/null 2>&1 || true
assert_eq "$(git --git-dir="$R" ls-tree --name-only nodes/dp-secretariat changesets/dp-secretariat/ | grep -c '\.json$')" 4 \
	"n°4 publié par le nœud révoqué"
# Ignored by every node as expected (issue 16): a notice, not a finding.
expect_status 0 "$CTSNODE" audit "$R" --json
assert_eq "$(jq -c '[.notices[] | select(.kind == "revoked_ignored") | .node, .seq]' <<<"$OUT")" '["dp-secretariat",4]' \
	"avis de révocation"
assert_eq "$(jq .findings_total <<<"$OUT")" 0 "constats du cas 8"

# 9. An unknown signer: a node branch of a node never enrolled.
R=$(fresh 9)
make_territory "$T/cases/9/ghost" dieppe dp-fantome "$T/region"
cts "$T/cases/9/ghost" member add --last-name FANTOME --first-name X --organisation X --college etat >/dev/null
"$CTSNODE" --home "$T/cases/9/ghost" sync --remote "$R" >/dev/null 2>&1 || true
git --git-dir="$R" rev-parse -q --verify refs/heads/nodes/dp-fantome >/dev/null || fail "branche du nœud inconnu non publiée"
verdict 9 "signataire inconnu (nœud jamais inscrit)" unknown_signer dp-fantome "" "$R"

# 10. Non-canonical JSON, validly signed by the node key.
R=$(fresh 10); X="$T/cases/10/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
prev=$(sha256sum <"$X/$(seqfile dp-secretariat 3)" | cut -d' ' -f1)
cat >"$X/raw.json" <<EOF
{ "v": 1, "node": "dp-secretariat", "territory": "dieppe", "seq": 4, "prev": "$prev",
  "time": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "seen": {},
  "ops": [{"hlc": "$(hlc_of "$NOW_MS")", "op": "put", "table": "member", "id": "$(cat /proc/sys/kernel/random/uuid)",
           "set": {"last_name": "ESPACES", "first_name": "X", "organisation": "Y", "college": "etat"}}] }
EOF
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --seq 4 --raw "$X/raw.json" --out "$X" >/dev/null
ssh-keygen -Y check-novalidate -n cts-changeset -s "$X/$(seqfile dp-secretariat 4).sig" <"$X/$(seqfile dp-secretariat 4)" >/dev/null 2>&1 ||
	fail "la signature du JSON non canonique devrait être valide"
commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile dp-secretariat 4)" "$(seqfile dp-secretariat 4).sig"
verdict 10 "JSON non canonique mais bien signé" non_canonical dp-secretariat 4 "$R"

# 11. A commit that modifies an already published changeset file (the new
# version is itself validly signed by the node).
R=$(fresh 11); X="$T/cases/11/files"
extract "$R" nodes/dp-secretariat dp-secretariat 1 "$X"
member_ops "$X/ops.json" "$(hlc_of "$NOW_MS")" MODIFIE
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 2 --prev-from "$X/$(seqfile dp-secretariat 1)" \
	--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X" >/dev/null
commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile dp-secretariat 2)" "$(seqfile dp-secretariat 2).sig"
verdict 11 "commit modifiant un changeset déjà publié" modified_changeset dp-secretariat 2 "$R"

# 12. An HLC three days after the changeset's own sealing time.
R=$(fresh 12); X="$T/cases/12/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
member_ops "$X/ops.json" "$(hlc_of $((1592301600000 + 3 * 86400000)))" FUTUR
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 4 --prev-from "$X/$(seqfile dp-secretariat 3)" \
	--time 2020-06-16T10:00:00Z --ops "$X/ops.json" --out "$X" >/dev/null
commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile dp-secretariat 4)" "$(seqfile dp-secretariat 4).sig"
verdict 12 "HLC 3 jours après l'heure de scellement" future_hlc dp-secretariat 4 "$R"

# Beyond the list: odd files on a node branch.
R=$(fresh 13)
base=$(git --git-dir="$R" rev-parse nodes/lh-secretariat)
rm -f "$T/idx"; GIT_INDEX_FILE="$T/idx" git --git-dir="$R" read-tree "$base"
lnk=$(printf '/etc/passwd' | git --git-dir="$R" hash-object -w --stdin)
GIT_INDEX_FILE="$T/idx" git --git-dir="$R" update-index --add --cacheinfo "120000,$lnk,$(seqfile lh-secretariat 2)"
tree=$(GIT_INDEX_FILE="$T/idx" git --git-dir="$R" write-tree)
git --git-dir="$R" update-ref refs/heads/nodes/lh-secretariat \
	"$(git --git-dir="$R" -c user.name=x -c user.email=x@invalid commit-tree "$tree" -p "$base" -m lien)"
verdict 13 "lien symbolique à la place d'un changeset" bad_file_type lh-secretariat 2 "$R"

R=$(fresh 14); X="$T/cases/14/files"; mkdir -p "$X"; echo "hors contrat" >"$X/LISEZMOI"
commit_paths "$R" nodes/lh-secretariat "$X" LISEZMOI
verdict 14 "fichier hors de changesets/<nœud>/" unexpected_file lh-secretariat "" "$R"

# A commit signed by another enrolled node's key: the lh laptop holds the dp
# key file (stock git verify-commit would say "Good signature" for dp).
R=$(fresh 15)
cp -a "$T/lh" "$T/cases/15/lh"; cp "$DPKEY" "$T/cases/15/lh/node.key"
cts "$T/cases/15/lh" member add --last-name CLE --first-name Empruntee --organisation X --college etat >/dev/null
"$CTSNODE" --home "$T/cases/15/lh" sync --remote "$R" >/dev/null 2>&1 || true
verdict 15 "commit signé par la clé d'un autre nœud inscrit" wrong_commit_signer lh-secretariat "" "$R"

# An unsigned commit whose message carries a copy of a real gpgsig block
# (libgit2's git_commit_extract_signature would take it for a signature).
R=$(fresh 16)
base=$(git --git-dir="$R" rev-parse nodes/dp-secretariat)
signed=$(git --git-dir="$R" rev-list -n 1 nodes/dp-secretariat)
git --git-dir="$R" cat-file commit "$signed" | grep -q '^gpgsig ' || fail "commit de nœud non signé dans le dépôt propre"
fake=$({
	printf 'tree %s\nparent %s\n' "$(git --git-dir="$R" rev-parse "$base^{tree}")" "$base"
	printf 'author dp-secretariat <ctsnode@invalid> 1600000000 +0000\ncommitter dp-secretariat <ctsnode@invalid> 1600000000 +0000\n\n'
	git --git-dir="$R" cat-file commit "$signed" | sed -n '/^gpgsig /,/END SSH SIGNATURE/p'
	printf 'dp-secretariat : changeset 4\n'
} | git --git-dir="$R" hash-object -t commit -w --stdin)
git --git-dir="$R" update-ref refs/heads/nodes/dp-secretariat "$fake" "$base"
verdict 16 "commit non signé, bloc gpgsig copié dans le message" unsigned_commit dp-secretariat "" "$R"

# A second node that enrols itself as authority (its own seq 1), published
# on its own node branch: the audit says so and keeps the authority that
# signs the region branch.
R=$(fresh 17); X="$T/cases/17/pirate"
make_region "$X" normandie region-pirate
cts "$X" seal >/dev/null
commit_paths "$R" nodes/region-pirate "$(xdir "$X")" "$(seqfile region-pirate 1)" "$(seqfile region-pirate 1).sig"
verdict 17 "un second nœud se déclare autorité" several_authorities region-normandie 1 "$R"
assert_eq "$(jq -r .authority "$T/cases/17.json")" region-normandie "autorité retenue (signataire de la branche region)"

# Values that break the domain rules (src/rules.c), in changesets validly
# signed by an enrolled node: college, body, date, votes.
mid=0b6a3c1e-3333-4c1e-9a51-000000000001
n=18
for spec in "member|{\"last_name\":\"X\",\"first_name\":\"Y\",\"college\":\"evil-college\",\"seat\":\"titulaire\"}|collège evil-college" \
	"meeting|{\"body\":\"evil-body\",\"date\":\"2020-06-16\",\"title\":\"T\",\"status\":\"tenue\"}|instance evil-body" \
	"meeting|{\"body\":\"bureau\",\"date\":\"2020-13-45\",\"title\":\"T\",\"status\":\"tenue\"}|date 2020-13-45" \
	"opinion|{\"meeting\":\"$mid\",\"subject\":\"A\",\"votes_for\":-5,\"votes_against\":0,\"votes_abstain\":0,\"outcome\":\"favorable\"}|voix pour -5" \
	"opinion|{\"meeting\":\"$mid\",\"subject\":\"A\",\"votes_for\":1,\"votes_against\":9007199254740992,\"votes_abstain\":0,\"outcome\":\"favorable\"}|voix contre 2^53"; do
	IFS='|' read -r table set what <<<"$spec"
	R=$(fresh $n); X="$T/cases/$n/files"
	extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
	printf '[{"hlc":"%s","op":"put","table":"%s","id":"%s","set":%s}]' "$(hlc_of "$NOW_MS")" "$table" \
		"$(cat /proc/sys/kernel/random/uuid)" "$set" >"$X/ops.json"
	"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 4 --prev-from "$X/$(seqfile dp-secretariat 3)" \
		--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X" >/dev/null
	commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile dp-secretariat 4)" "$(seqfile dp-secretariat 4).sig"
	verdict $n "valeur contraire aux règles : $what" invalid_value dp-secretariat 4 "$R"
	n=$((n + 1))
done
assert_contains "$(jq -r '.findings[] | select(.kind == "invalid_value") | .detail' "$T/cases/20.json")" \
	"opération 1 : table meeting, champ date : la date de la réunion « 2020-13-45 »"

# 23. dp wound back one commit. A territory's device reads only its
# territory (issue 16 point 7): re never saw dp; the witness across
# territories is the authority, whose changesets after its pull name dp n°3
# in their `seen` (and certify it in a checkpoint).
R=$(fresh 23)
git --git-dir="$R" update-ref refs/heads/nodes/dp-secretariat nodes/dp-secretariat~1
verdict 23 "branche raccourcie sous le témoin de l'autorité" truncated_branch dp-secretariat 3 "$R"

# 24. A `seen` naming a number that never existed.
R=$(fresh 24); X="$T/cases/24/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
member_ops "$X/ops.json" "$(hlc_of "$NOW_MS")" MENTEUR
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 4 --prev-from "$X/$(seqfile dp-secretariat 3)" \
	--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --seen '{"lh-secretariat": 999999}' --ops "$X/ops.json" --out "$X" >/dev/null
commit_paths "$R" nodes/dp-secretariat "$X" "$(seqfile dp-secretariat 4)" "$(seqfile dp-secretariat 4).sig"
verdict 24 "« seen » vers un n° qui n'a jamais existé" truncated_branch lh-secretariat 999999 "$R"

# 25. Every territory branch deleted, the authority and the region branch
# back to their first commit: consistent, only pinned heads catch it.
R=$(fresh 25)
rewind_to_origin "$R" region-normandie re-secretariat lh-secretariat dp-secretariat
expect_status 0 "$CTSNODE" audit "$R" --json
assert_eq "$(jq -r .completeness <<<"$OUT")" witnessed "sans tête imposée, rien ne se voit (et le verdict le dit)"
AUTH_SEQ=${AUTH_HEAD#*=}
verdict 25 "historique ramené au début (--expect-head)" truncated_branch region-normandie "${AUTH_SEQ%%:*}" "$R" \
	--expect-head "$AUTH_HEAD"

# 26. A fork known only from a fork record: dp n°4 has two validly signed
# versions, one on dp's branch, the other only inside re's record of it.
R=$(fresh 26); X="$T/cases/26/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
extract "$R" nodes/re-secretariat re-secretariat 2 "$X"
for v in UN DEUX; do
	member_ops "$X/ops.json" "$(hlc_of "$NOW_MS")" "$v"
	"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --territory dieppe --seq 4 --prev-from "$X/$(seqfile dp-secretariat 3)" \
		--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X/$v" >/dev/null
done
read -r lo hi <<<"$(id_order "$X/UN/$(seqfile dp-secretariat 4)" "$X/DEUX/$(seqfile dp-secretariat 4)")"
fork_op dp-secretariat 4 "$lo" "$lo.sig" "$hi" "$hi.sig" >"$X/fork.json"
"$CTS_CRAFT" --key "$T/re/node.key" --node re-secretariat --territory rouen-elbeuf --seq 3 \
	--prev-from "$X/$(seqfile re-secretariat 2)" --time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/fork.json" --out "$X" >/dev/null
commit_paths "$R" nodes/dp-secretariat "$X/UN" "$(seqfile dp-secretariat 4)" "$(seqfile dp-secretariat 4).sig"
commit_paths "$R" nodes/re-secretariat "$X" "$(seqfile re-secretariat 3)" "$(seqfile re-secretariat 3).sig"
verdict 26 "bifurcation connue par une preuve seulement" fork dp-secretariat 4 "$R"

# 27. An invalid fork record (a version with the other's signature).
R=$(fresh 27); X="$T/cases/27/files"
cp -a "$T/cases/26/files/." "$X"
fork_op dp-secretariat 4 "$lo" "$hi.sig" "$hi" "$hi.sig" >"$X/fork.json"
"$CTS_CRAFT" --key "$T/re/node.key" --node re-secretariat --territory rouen-elbeuf --seq 3 \
	--prev-from "$X/$(seqfile re-secretariat 2)" --time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/fork.json" --out "$X" >/dev/null
commit_paths "$R" nodes/re-secretariat "$X" "$(seqfile re-secretariat 3)" "$(seqfile re-secretariat 3).sig"
verdict 27 "preuve de bifurcation invalide" bad_fork_evidence re-secretariat 3 "$R"

# The authority's own key enrols the identity point as a node's key (with
# it, R = identity and S = 0 would "sign" anything for stock tools).
R=$(fresh 28); X="$T/cases/28/files"
rseq=$(git --git-dir="$R" ls-tree --name-only nodes/region-normandie changesets/region-normandie/ | grep -c '\.json$')
extract "$R" nodes/region-normandie region-normandie "$rseq" "$X"
printf '[{"hlc":"%s","op":"put","table":"registry","id":"%s","set":{"node":"forge-1","territory_code":"dieppe","role":"territory","key":"%s"}}]' \
	"$(hlc_of "$NOW_MS")" "$("$CTS_CRAFT" --derived-id registry:forge-1)" "$(ed25519_line $IDENTITY_KEY_HEX)" >"$X/ops.json"
"$CTS_CRAFT" --key "$T/region/node.key" --node region-normandie --territory normandie --seq $((rseq + 1)) \
	--prev-from "$X/$(seqfile region-normandie "$rseq")" --time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --ops "$X/ops.json" --out "$X" >/dev/null
commit_paths "$R" nodes/region-normandie "$X" "$(seqfile region-normandie $((rseq + 1)))" "$(seqfile region-normandie $((rseq + 1))).sig"
verdict 28 "l'autorité inscrit le point identité comme clé" invalid_value region-normandie $((rseq + 1)) "$R"
assert_contains "$(jq -r '.findings[] | select(.kind == "invalid_value") | .detail' "$T/cases/28.json")" "ordre faible"

echo
echo "$(pad cas 4)$(pad falsification 58)$(pad "type attendu" 23)$(pad verdict 10)types relevés"
missed=0
for r in "${RESULTS[@]}"; do
	echo "$r"
	case "$r" in *MANQUÉ*) missed=$((missed + 1)) ;; esac
done
echo "détectés : $(( ${#RESULTS[@]} - missed )) / ${#RESULTS[@]}"
[ "$missed" -eq 0 ] || fail "$missed falsification(s) non détectée(s) ou mal nommée(s) (détails dans $T/cases/)"
pass "corpus de falsifications : 100 % détecté et nommé"

# Findings name commit and file.
j="$T/cases/1.json"
assert_eq "$(jq -r '[.findings[] | select(.kind == "bad_signature")][0].file' "$j")" \
	"$(seqfile re-secretariat 1).sig" "fichier du constat"
c=$(jq -r '[.findings[] | select(.kind == "modified_changeset")][0].commit' "$j")
assert_eq "$c" "$(git --git-dir="$T/flipped.git" rev-parse nodes/re-secretariat)" "commit du constat"
assert_eq "$(jq '.nodes["re-secretariat"].verified' "$j")" 0 "changeset falsifié compté comme non vérifié"
expect_status 1 "$CTSNODE" audit "$T/flipped.git"
assert_contains "$OUT" "[bad_signature] nœud re-secretariat, n°1, commit"
assert_contains "$OUT" "fichier $(seqfile re-secretariat 1).sig"
pass "chaque constat nomme nœud, n°, commit et fichier"

# --authority-key: the key obtained out of band.
expect_status 0 "$CTSNODE" audit "$REPO" --json --authority-key "$(key "$T/region")"
assert_eq "$(jq .ok <<<"$OUT")" true "audit avec la clé de l'autorité imposée"
expect_status 1 "$CTSNODE" audit "$REPO" --json --authority-key "$(key "$T/dp")"
k=$(jq -r '[.findings[].kind] | unique | join(",")' <<<"$OUT")
assert_contains "$k" "authority_key_mismatch" "constats avec une autre clé d'autorité imposée"
assert_contains "$k" "no_authority" "constats avec une autre clé d'autorité imposée"
assert_eq "$(jq -r .authority <<<"$OUT")" null "aucune autorité retenue"
expect_status 2 "$CTSNODE" audit "$REPO" --authority-key "pas une clé"
pass "--authority-key : clé attendue acceptée, autre clé refusée"

# ---- --check-report ----
cts "$T/region" report --year 2020 --format json -o "$T/report.json" 2>/dev/null
jq -e '.heads["dp-secretariat"].seq == 3' "$T/report.json" >/dev/null || fail "le rapport ne cite pas les têtes attendues"
expect_status 0 "$CTSNODE" audit "$REPO" --json --check-report "$T/report.json"
assert_eq "$(jq .report_check.ok <<<"$OUT")" true "rapport recalculé"
jq '.region.present += 1' "$T/report.json" >"$T/report-changed.json"
expect_status 1 "$CTSNODE" audit "$REPO" --json --check-report "$T/report-changed.json"
assert_eq "$(jq .report_check.ok <<<"$OUT")" false "rapport modifié"
assert_contains "$(jq -r '.findings[] | select(.kind == "report_mismatch") | .detail' <<<"$OUT")" "/region/present"
jq '.heads["dp-secretariat"].id = ("0" * 64)' "$T/report.json" >"$T/report-heads.json"
expect_status 1 "$CTSNODE" audit "$REPO" --json --check-report "$T/report-heads.json"
assert_eq "$(jq -r '.findings[0].kind' <<<"$OUT")" report_mismatch "rapport citant un historique absent"
pass "--check-report : rapport publié accepté, chiffre modifié ou historique absent refusés"
