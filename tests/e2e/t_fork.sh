# Forks that converge (issue 12, finding 2). With a node's stolen key and
# stock tools (jq, ssh-keygen -Y sign, git commit-tree -S, git push
# --force), a second version of a published changeset replaces the first
# on the node's branch:
#  1. before the region pulled the first one: the node that holds both
#     records the fork (both signed versions) in its next changeset; the
#     region learns it from that record although the first version is gone
#     from git, refuses both, re-records it; every node ends with the same
#     digest; the audit reports the fork from the record;
#  2. after a checkpoint: the first version does not stay applied;
#  3. invalid fork records (bad signature, same bytes twice, another seq)
#     are refused with a named reason and are audit findings against
#     their writer.
# Every device is in one territory: each reads the others' branches (a
# territory's device reads only its territory's, issue 16 point 7).
. "$CTS_E2E_LIB"
: "${CTS_CRAFT:?CTS_CRAFT must point to the cts_craft test tool}"
REPO="$T/region.git"
seqfile() { printf 'changesets/%s/%012d.json' "$1" "$2"; }
add() { cts "$T/$1" member add --last-name "$2" --first-name X --organisation Y --college etat >/dev/null; }
sync_ok() { expect_status 0 "$CTSNODE" --home "$T/$1" sync ${2:+--remote "$2"}; }
# after a rewrite, a node keeps reporting it (exit 1): anything else fails
sync_f() { local rc=0; "$CTSNODE" --home "$T/$1" "${2:-sync}" ${2:+pull} >>"$T/syncs.out" 2>&1 || rc=$?; [ "$rc" -le 1 ] || fail "sync de $1 : code $rc"; }
digest() { cts "$T/$1" status --json | jq -r .content_digest; }
named() { cts "$T/$1" member list --territory "$2" --json | jq --arg n "$3" '[.[] | select(.last_name == $n)] | length'; }
refused() { cts "$T/$1" status --json | jq --arg n "$2" --argjson s "$3" '[.refused[] | select(.node == $n and .seq == $s and (.reason | contains("bifurcation")))] | length'; }
now_hlc() { printf '%012x0000' "$(($(date +%s) * 1000))"; }

# second_version NODE TERRITORY SEQ NAME: on a bare clone, NODE's branch
# rewound to SEQ-1 and extended with another changeset SEQ (a member NAME),
# signed with NODE's stolen key by ssh-keygen, committed by git commit-tree
# -S, then force-pushed to the regional repository. The new version's file
# is left in $T/v2/.
second_version() {
	local node=$1 terr=$2 seq=$3 name=$4 evil="$T/evil-$1.git" rel c
	rel=$(seqfile "$node" "$seq")
	rm -rf "$evil" "$T/v2"
	git clone -q --bare "$REPO" "$evil"
	openssh_key "$T/$5" "$T/$node.ssh"
	git --git-dir="$evil" cat-file blob "nodes/$node:$(seqfile "$node" $((seq - 1)))" >"$T/prev.json"
	canonical_changeset "$T/v2/$rel" "$node" "$terr" "$seq" "$T/prev.json" '{}' \
		"[{\"hlc\":\"$(now_hlc)\",\"op\":\"put\",\"table\":\"member\",\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"set\":{\"last_name\":\"$name\"}}]"
	ssh-keygen -Y sign -q -f "$T/$node.ssh" -n cts-changeset "$T/v2/$rel"
	c=$(git --git-dir="$evil" log --format=%H -1 "nodes/$node" -- "$rel")
	c=$(signed_commit "$evil" "$c~1" "$T/$node.ssh" "$node" "$T/v2" "$rel" "$rel.sig")
	git --git-dir="$evil" update-ref "refs/heads/nodes/$node" "$c"
	git --git-dir="$evil" push -q --force "$REPO" "refs/heads/nodes/$node"
}

make_region "$T/region" normandie region-normandie
enroll_territories "$T/region" re:dieppe:re-secretariat lh:dieppe:lh-secretariat dp:dieppe:dp-secretariat \
	e1:dieppe:evil-1 e2:dieppe:evil-2 e3:dieppe:evil-3
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
for h in re lh dp; do add "$h" "PREMIER-$h"; sync_ok "$h" "$REPO"; done
expect_status 0 "$CTSNODE" --home "$T/region" region pull
for h in re lh dp; do sync_ok "$h"; done

# ---- 1. A fork made before the region pulled the first version ----
add dp AVANT
sync_ok dp # dp n°2 (AVANT) published
sync_ok re # re applies it
assert_eq "$(named re dieppe AVANT)" 1 "re a appliqué dp n°2"
git --git-dir="$REPO" cat-file blob "nodes/dp-secretariat:$(seqfile dp-secretariat 2)" >"$T/dp2-first.json"
git --git-dir="$REPO" cat-file blob "nodes/dp-secretariat:$(seqfile dp-secretariat 2).sig" >"$T/dp2-first.json.sig"
second_version dp-secretariat dieppe 2 PIRATE dp
cp "$T/v2/$(seqfile dp-secretariat 2)" "$T/dp2-second.json"
cp "$T/v2/$(seqfile dp-secretariat 2).sig" "$T/dp2-second.json.sig"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
assert_eq "$(named region dieppe PIRATE)" 1 "la région n'a vu que la seconde version"
git --git-dir="$REPO" cat-file blob "nodes/dp-secretariat:$(seqfile dp-secretariat 2)" | cmp -s - "$T/dp2-first.json" &&
	fail "la première version est encore dans le dépôt"

sync_f re # reports the rewritten branch
st=$(cts "$T/re" status --json)
assert_eq "$(refused re dp-secretariat 2)" 2 "re refuse les deux versions"
assert_eq "$(jq '[.incidents[] | select(.kind == "fork" and .node == "dp-secretariat" and .seq == 2)] | length' <<<"$st")" 1 \
	"incident de bifurcation chez re"
assert_eq "$(named re dieppe AVANT)$(named re dieppe PIRATE)" 00 "aucune version appliquée chez re"
assert_eq "$(jq .pending_ops <<<"$st")" 0 "la preuve est scellée par le sync"
last=$(jq .last_seq <<<"$st")
git --git-dir="$REPO" cat-file blob "nodes/re-secretariat:$(seqfile re-secretariat "$last")" >"$T/evidence.json"
assert_eq "$(jq '[.ops[] | select(.table == "fork" and .set.node == "dp-secretariat" and .set.seq == 2)] | length' "$T/evidence.json")" 1 \
	"preuve publiée par re"
# An auditor checks the record with stock tools: each carried version
# verifies with ssh-keygen for dp's key.
cts "$T/region" region allowed-signers >"$T/allowed_signers"
for v in a b; do
	jq -j --arg v "$v" '.ops[] | select(.table == "fork") | .set["body_" + $v]' "$T/evidence.json" >"$T/carried.json"
	jq -j --arg v "$v" '.ops[] | select(.table == "fork") | .set["sig_" + $v]' "$T/evidence.json" >"$T/carried.json.sig"
	ssh-keygen -Y verify -f "$T/allowed_signers" -I dp-secretariat -n cts-changeset -s "$T/carried.json.sig" \
		<"$T/carried.json" >/dev/null || fail "version $v de la preuve refusée par ssh-keygen"
	assert_eq "$(jq .seq "$T/carried.json")" 2 "n° de la version $v"
done
pass "le nœud qui tient les deux versions refuse les deux et publie la preuve (vérifiable avec ssh-keygen)"

expect_status 1 "$CTSNODE" --home "$T/region" region pull # refusals: exit 1
assert_eq "$(grep -c 'REFUSÉ dp-secretariat n°2' <<<"$OUT")" 2 "chaque refus dit une fois"
assert_eq "$(named region dieppe PIRATE)" 0 "la région n'applique plus la seconde version"
assert_eq "$(refused region dp-secretariat 2)" 2 "la région refuse les deux versions"
rlast=$(cts "$T/region" status --json | jq .last_seq)
found=0
for s in $(seq 1 "$rlast"); do
	git --git-dir="$REPO" cat-file blob "nodes/region-normandie:$(seqfile region-normandie "$s")" |
		jq -e '.ops[] | select(.table == "fork" and .set.node == "dp-secretariat")' >/dev/null 2>&1 && found=1
done
assert_eq "$found" 1 "l'autorité recopie la preuve"
for h in lh re; do sync_f "$h"; done
sync_f region region
for h in lh re; do sync_f "$h"; done
assert_eq "$(digest re)" "$(digest region)" "même empreinte (re, région)"
assert_eq "$(digest lh)" "$(digest region)" "même empreinte (lh, région)"
assert_eq "$(refused lh dp-secretariat 2)" 2 "lh refuse les deux versions"
before=$(digest region)
expect_status 0 "$CTSNODE" --home "$T/region" rebuild
assert_eq "$(digest region)" "$before" "empreinte après rebuild"
assert_eq "$(refused region dp-secretariat 2)" 2 "bifurcation gardée par rebuild"

expect_status 1 "$CTSNODE" audit "$REPO" --json
echo "$OUT" >"$T/audit1.json"
assert_eq "$(jq '[.findings[] | select(.kind == "fork" and .node == "dp-secretariat" and .seq == 2)] | length' "$T/audit1.json")" 1 \
	"bifurcation relevée par l'audit"
assert_contains "$(jq -r '.findings[] | select(.kind == "fork") | .detail' "$T/audit1.json")" "recopiée"
assert_eq "$(jq -c '[.findings[].kind] | unique' "$T/audit1.json")" '["fork"]' "seul constat"
pass "la région apprend la bifurcation par la preuve, tous les nœuds convergent, l'audit la relève"

# The forked node itself (its branch now refused by the repository) learns
# of it from the region's record, by folder, and stops sealing, saying why.
"$CTSNODE" --home "$T/dp" import "$(xdir "$T/region")" >/dev/null 2>&1 || true
assert_eq "$(cts "$T/dp" status --json | jq '[.incidents[] | select(.kind == "fork" and .node == "dp-secretariat")] | length')" 1 \
	"dp apprend sa propre bifurcation"
add dp APRES
expect_status 1 "$CTSNODE" --home "$T/dp" seal
assert_contains "$ERR" "a signé deux versions différentes de son changeset n°2"
assert_contains "$ERR" "nouvel identifiant"
pass "le poste bifurqué cesse de sceller et dit quoi faire"

# ---- 2. A fork after a checkpoint: the first version does not stay ----
add lh CERTIFIE
sync_ok lh
sync_f region region # checkpoints lh n°2
sync_f re
assert_eq "$(named region dieppe CERTIFIE)" 1 "lh n°2 appliqué et certifié"
second_version lh-secretariat dieppe 2 REMPLACE lh
"$CTSNODE" --home "$T/region" region pull >"$T/pull2.out" 2>&1 || true
assert_contains "$(cat "$T/pull2.out")" "réécrit"
assert_eq "$(named region dieppe CERTIFIE)$(named region dieppe REMPLACE)" 00 "aucune version appliquée à la région"
assert_eq "$(refused region lh-secretariat 2)" 2 "la région refuse les deux versions"
sync_f re
sync_f region region
sync_f re
assert_eq "$(named re dieppe CERTIFIE)$(named re dieppe REMPLACE)" 00 "aucune version appliquée chez re"
assert_eq "$(digest re)" "$(digest region)" "même empreinte (re, région)"
expect_status 1 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq '[.findings[] | select(.node == "lh-secretariat" and .seq == 2) | .kind] | unique' -c <<<"$OUT")" \
	'["checkpoint_violation","fork"]' "constats sur lh n°2"
pass "bifurcation après un point de contrôle : la première version n'est plus appliquée"

# ---- 3. Invalid fork records, each by an enrolled node ----
A="$T/dp2-first.json"; B="$T/dp2-second.json"
read -r lo hi <<<"$(id_order "$A" "$B")"
git --git-dir="$REPO" cat-file blob "nodes/dp-secretariat:$(seqfile dp-secretariat 1)" >"$T/dp1.json"
git --git-dir="$REPO" cat-file blob "nodes/dp-secretariat:$(seqfile dp-secretariat 1).sig" >"$T/dp1.json.sig"
read -r lo1 hi1 <<<"$(id_order "$A" "$T/dp1.json")"
fork_op dp-secretariat 2 "$lo" "$hi.sig" "$hi" "$hi.sig" >"$T/bad-sig.json"   # a signature of the other version
fork_op dp-secretariat 2 "$A" "$A.sig" "$A" "$A.sig" >"$T/same.json"          # the same bytes twice
fork_op dp-secretariat 2 "$lo1" "$lo1.sig" "$hi1" "$hi1.sig" >"$T/other-seq.json" # dp n°1 is not a n°2
i=0
for spec in "bad-sig:signature invalide" "same:identiques" "other-seq:c'est le changeset n°1"; do
	i=$((i + 1))
	IFS=: read -r case why <<<"$spec"
	node=evil-$i
	X="$T/in-$case"
	"$CTS_CRAFT" --key "$T/e$i/node.key" --node "$node" --territory dieppe --seq 1 --ops "$T/$case.json" \
		--time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --out "$X" >/dev/null
	openssh_key "$T/e$i" "$T/e$i.ssh"
	c=$(signed_commit "$REPO" "" "$T/e$i.ssh" "$node" "$X" "$(seqfile "$node" 1)" "$(seqfile "$node" 1).sig")
	git --git-dir="$REPO" update-ref "refs/heads/nodes/$node" "$c"
	expect_status 1 "$CTSNODE" --home "$T/region" region pull
	assert_contains "$(cts "$T/region" status --json | jq -r --arg n "$node" '.refused[] | select(.node == $n) | .reason')" \
		"preuve de bifurcation invalide" "raison du refus ($case)"
	assert_contains "$(cts "$T/region" status --json | jq -r --arg n "$node" '.refused[] | select(.node == $n) | .reason')" "$why"
	expect_status 1 "$CTSNODE" audit "$REPO" --json
	assert_contains "$(jq -r --arg n "$node" '.findings[] | select(.kind == "bad_fork_evidence" and .node == $n and .seq == 1) | .detail' <<<"$OUT")" \
		"$why" "constat d'audit ($case)"
	assert_eq "$(jq --arg n "$node" '[.findings[] | select(.node == $n) | .kind] | unique' -c <<<"$OUT")" '["bad_fork_evidence"]' \
		"seul constat contre $node"
done
pass "preuves invalides (signature, mêmes octets, autre n°) : refusées avec leur raison, constats contre leur auteur"
