# Witnesses (issue 12, finding 1): every node says in each changeset what
# it had seen (`seen`); a history truncated below what a signed witness
# saw is caught by the stateless audit (truncated_branch, naming the
# witness) and by the importers (the witness waits, pending, with an
# incident); a `seen` naming a number that never existed likewise; a
# history wound back to a consistent past passes a stateless audit (it
# says so) and is caught with pinned heads (--expect-head, --state).
# Attacks are built with stock git plumbing, ssh-keygen and jq.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
seqfile() { printf 'changesets/%s/%012d.json' "$1" "$2"; }
add() { cts "$T/$1" member add --last-name "$2" --first-name X --organisation Y --college etat >/dev/null; }
sync_ok() { expect_status 0 "$CTSNODE" --home "$T/$1" sync --remote "$2"; }
digest() { cts "$T/$1" status --json | jq -r .content_digest; }
# findings KIND NODE SEQ FILE: how many findings of that kind, node and seq
findings() { jq --arg k "$1" --arg n "$2" --argjson s "$3" '[.findings[] | select(.kind == $k and .node == $n and .seq == $s)] | length' "$4"; }

# ---- A region, three devices of one territory (a device reads only its
# territory's branches, issue 16 point 7), witnesses of each other ----
make_region "$T/region" normandie region-normandie
enroll_territories "$T/region" re:rouen-elbeuf:re-secretariat lh:rouen-elbeuf:lh-secretariat dp:rouen-elbeuf:dp-secretariat
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
for h in re lh; do add "$h" "NOM-$h"; sync_ok "$h" "$REPO"; done
for i in 1 2 3; do add dp "DP$i"; sync_ok dp "$REPO"; done
expect_status 0 "$CTSNODE" --home "$T/region" region pull # checkpoints dp n°3
for h in re lh dp; do sync_ok "$h" "$REPO"; done
add re TEMOIN
sync_ok re "$REPO" # re n°2 saw the authority's checkpoint and dp n°3
W=$(git --git-dir="$REPO" cat-file blob "nodes/re-secretariat:$(seqfile re-secretariat 2)")
K=$(jq '.seen["region-normandie"]' <<<"$W")
assert_eq "$(jq '.seen["dp-secretariat"]' <<<"$W")" 3 "re n°2 a vu dp n°3"
git --git-dir="$REPO" cat-file blob "nodes/region-normandie:$(seqfile region-normandie "$K")" | grep -q '"checkpoint"' ||
	fail "le changeset n°$K de l'autorité n'est pas un point de contrôle"

expect_status 0 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq -r .completeness <<<"$OUT")" witnessed "complétude sans têtes imposées"
jq -r '.nodes | to_entries[] | "--expect-head=\(.key)=\(.value.last_seq):\(.value.head_id)"' <<<"$OUT" >"$T/heads"
assert_eq "$(wc -l <"$T/heads")" 4 "têtes à garder"
mapfile -t HEADS <"$T/heads"
expect_status 0 "$CTSNODE" audit "$REPO"
assert_contains "$OUT" "que personne n'a encore vus"
assert_contains "$OUT" "--expect-head region-normandie=$K:"
expect_status 0 "$CTSNODE" audit "$REPO" --json --state "$T/audit.state" "${HEADS[@]}"
assert_eq "$(jq -r .completeness <<<"$OUT")" pinned "complétude avec têtes imposées"
expect_status 0 "$CTSNODE" audit "$REPO"  "${HEADS[@]}"
assert_contains "$OUT" "têtes imposées"
expect_status 2 "$CTSNODE" audit "$REPO" --expect-head "dp-secretariat=3"
pass "dépôt intact : le verdict dit ce qu'il prouve et donne les têtes à garder"

# ---- 1. The issue's repro: dp wound back one commit, and the authority
# wound back past the checkpoint that certified dp n°3 ----
R="$T/a.git"
cp -a "$REPO" "$R"
git --git-dir="$R" update-ref refs/heads/nodes/dp-secretariat nodes/dp-secretariat~1
c=$(git --git-dir="$R" log --format=%H -1 nodes/region-normandie -- "$(seqfile region-normandie "$K")")
git --git-dir="$R" update-ref refs/heads/nodes/region-normandie "$c~1"
expect_status 1 "$CTSNODE" audit "$R" --json
echo "$OUT" >"$T/a.json"
assert_eq "$(findings truncated_branch dp-secretariat 3 "$T/a.json")" 1 "dp tronqué (témoin re)"
assert_eq "$(findings truncated_branch region-normandie "$K" "$T/a.json")" 1 "autorité tronquée (témoin re)"
assert_contains "$(jq -r '.findings[] | select(.kind == "truncated_branch" and .node == "dp-secretariat") | .detail' "$T/a.json")" \
	"re-secretariat n°2"
assert_eq "$(jq '[.findings[].kind] - ["truncated_branch"] | length' "$T/a.json")" 0 "aucun autre constat"
pass "branches de dp et de l'autorité raccourcies : truncated_branch, témoin nommé"

# ---- 2. Every territory branch deleted, the authority (and the region
# branch) wound back to their first commit: consistent, so a stateless
# audit cannot see it; pinned heads do ----
R="$T/b.git"
cp -a "$REPO" "$R"
rewind_to_origin "$R" region-normandie re-secretariat lh-secretariat dp-secretariat
expect_status 0 "$CTSNODE" audit "$R" --json
assert_eq "$(jq -r .completeness <<<"$OUT")" witnessed "complétude relative aux témoins"
expect_status 0 "$CTSNODE" audit "$R"
assert_contains "$OUT" "pourraient en avoir été retirés sans laisser de trace"
expect_status 1 "$CTSNODE" audit "$R" --json "${HEADS[@]}"
echo "$OUT" >"$T/b.json"
for n in re-secretariat lh-secretariat dp-secretariat region-normandie; do
	[ "$(jq --arg n "$n" '[.findings[] | select(.kind == "truncated_branch" and .node == $n)] | length' "$T/b.json")" -ge 1 ] ||
		fail "tête imposée de $n non vérifiée"
done
expect_status 1 "$CTSNODE" audit "$R" --json --state "$T/audit.state"
assert_eq "$(jq -c '[.findings[] | select(.kind == "rewritten_branch") | .branch] | sort' <<<"$OUT")" \
	'["nodes/dp-secretariat","nodes/lh-secretariat","nodes/re-secretariat","nodes/region-normandie"]' "branches réécrites (état)"
pass "historique ramené à son début : passe sans témoin (et le dit), pris avec --expect-head et --state"

# ---- 3. A `seen` naming a number that never existed, signed with lh's
# (stolen) key by ssh-keygen and committed by stock git ----
openssh_key "$T/lh" "$T/lh.ssh"
X="$T/forged"
f="$X/$(seqfile lh-secretariat 2)"
git --git-dir="$REPO" cat-file blob "nodes/lh-secretariat:$(seqfile lh-secretariat 1)" >"$T/lh1.json"
canonical_changeset "$f" lh-secretariat rouen-elbeuf 2 "$T/lh1.json" '{"dp-secretariat": 999999}' \
	"[{\"hlc\":\"$(printf '%012x0000' "$(($(date +%s) * 1000))")\",\"op\":\"put\",\"table\":\"member\",\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"set\":{\"last_name\":\"MENTEUR\"}}]"
ssh-keygen -Y sign -q -f "$T/lh.ssh" -n cts-changeset "$f"
c=$(signed_commit "$REPO" "$(git --git-dir="$REPO" rev-parse nodes/lh-secretariat)" "$T/lh.ssh" lh-secretariat "$X" \
	"$(seqfile lh-secretariat 2)" "$(seqfile lh-secretariat 2).sig")
git --git-dir="$REPO" update-ref refs/heads/nodes/lh-secretariat "$c"
expect_status 1 "$CTSNODE" audit "$REPO" --json
echo "$OUT" >"$T/c.json"
assert_eq "$(findings truncated_branch dp-secretariat 999999 "$T/c.json")" 1 "« seen » mensonger relevé"
assert_contains "$(jq -r '.findings[0].detail' "$T/c.json")" "« seen » mensonger"
assert_eq "$(jq '[.findings[].kind] | unique' -c "$T/c.json")" '["truncated_branch"]' "seul constat"
expect_status 0 "$CTSNODE" --home "$T/region" region pull # waits, says why
for h in re dp; do expect_status 0 "$CTSNODE" --home "$T/$h" sync; done
for h in region re dp; do
	st=$(cts "$T/$h" status --json)
	assert_contains "$(jq -r '.pending[] | select(.node == "lh-secretariat" and .seq == 2) | .reason' <<<"$st")" "n°999999 de dp-secretariat" \
		"raison de l'attente chez $h"
	assert_eq "$(jq '[.incidents[] | select(.kind == "truncated_branch" and .node == "dp-secretariat" and .seq == 999999)] | length' <<<"$st")" 1 \
		"incident chez $h"
	assert_eq "$(cts "$T/$h" member list --territory rouen-elbeuf --json | jq '[.[] | select(.last_name == "MENTEUR")] | length')" 0 \
		"rien appliqué chez $h"
done
assert_eq "$(digest re)" "$(digest region)" "même empreinte (re, région)"
assert_eq "$(digest dp)" "$(digest region)" "même empreinte (dp, région)"
before=$(digest region)
expect_status 0 "$CTSNODE" --home "$T/region" rebuild
assert_eq "$(digest region)" "$before" "empreinte après rebuild"
assert_eq "$(cts "$T/region" status --json | jq '[.pending[] | select(.node == "lh-secretariat")] | length')" 1 "toujours en attente après rebuild"
pass "« seen » vers un n° qui n'a jamais existé : constat d'audit, en attente partout avec incident, même empreinte"

# ---- 4. The importer side of a truncation: B saw A n°2, A's branch is
# wound back before the region pulls it ----
REPO2="$T/region2.git"
make_region "$T/r2" normandie region-b
# (ta and tb in one territory: a device sees only its territory's nodes)
enroll_territories "$T/r2" ta:rouen-elbeuf:ta-1 tb:rouen-elbeuf:tb-1 tc:dieppe:tc-1
expect_status 0 "$CTSNODE" --home "$T/r2" region pull --remote "$REPO2"
for i in 1 2; do add tb "TB$i"; sync_ok tb "$REPO2"; done
sync_ok ta "$REPO2"
add ta TEMOIN
sync_ok ta "$REPO2" # ta n°1 saw tb n°2
git --git-dir="$REPO2" update-ref refs/heads/nodes/tb-1 nodes/tb-1~1
expect_status 0 "$CTSNODE" --home "$T/r2" region pull
st=$(cts "$T/r2" status --json)
assert_contains "$(jq -r '.pending[] | select(.node == "ta-1" and .seq == 1) | .reason' <<<"$st")" "n°2 de tb-1"
assert_contains "$(jq -r '.incidents[] | select(.kind == "truncated_branch" and .node == "tb-1" and .seq == 2) | .detail' <<<"$st")" \
	"ta-1 n°1"
assert_eq "$(cts "$T/r2" member list --territory rouen-elbeuf --json | jq '[.[] | select(.last_name == "TEMOIN")] | length')" 0 "le témoin n'est pas appliqué"
expect_status 0 "$CTSNODE" --home "$T/tc" sync --remote "$REPO2"
assert_eq "$(tdigest "$T/tc")" "$(tdigest "$T/tc" "$T/r2")" "même empreinte du territoire (tc, région)"
expect_status 1 "$CTSNODE" audit "$REPO2" --json
assert_eq "$(jq '[.findings[] | select(.kind == "truncated_branch" and .node == "tb-1" and .seq == 2)] | length' <<<"$OUT")" 1 \
	"constat d'audit"
pass "branche raccourcie sous un témoin : en attente et incident à l'import, constat à l'audit"

# ---- 5. A report published on the region branch (signed by the
# authority) names the heads it was computed from: a witness too ----
expect_status 0 "$CTSNODE" --home "$T/r2" region publish --year 2026
rep=$(git --git-dir="$REPO2" show region:reports/2026/rapport.json)
hs=$(jq '.heads["region-b"].seq' <<<"$rep")
[ "$hs" -ge 2 ] || fail "le rapport ne cite pas la tête de l'autorité"
R="$T/d.git"
cp -a "$REPO2" "$R"
c=$(git --git-dir="$R" log --format=%H -1 nodes/region-b -- "$(seqfile region-b "$hs")")
git --git-dir="$R" update-ref refs/heads/nodes/region-b "$c~1"
expect_status 1 "$CTSNODE" audit "$R" --json
assert_contains "$(jq -r --argjson s "$hs" '.findings[] | select(.kind == "truncated_branch" and .node == "region-b" and .seq == $s) | .detail' <<<"$OUT")" \
	"rapport publié reports/2026/rapport.json"
pass "rapport publié : ses têtes sont des témoins signés par l'autorité"
