#!/usr/bin/env bash
# Issue 16, point 3: a node folder copied to another machine is refused
# before it seals or sends anything (exit 2, the procedure named); the
# way out, `init --adopt`, is refused while the remote does not answer,
# then takes what the old machine published since the copy and continues
# from there: no fork, the audit clean. Another machine is simulated with
# CTSNODE_MACHINE_ID_FILE (test and diagnostic hook). A copy on the same
# machine (backup restored, cp -a) is accepted, and a folder of an earlier
# version (no machine recorded) adopts the machine it is first used on.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
key() { cts "$1" key show | awk '{print $1" "$2}'; }
add() { cts "$1" member add --last-name "$2" --first-name X --organisation X --college etat >/dev/null; }
published() { git --git-dir="$REPO" rev-parse -q --verify "refs/heads/nodes/$1" || echo none; }
echo "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6" >"$T/other-machine-id"

make_region "$T/region" normandie region-normandie
make_territory "$T/old" dieppe dp-secretariat "$T/region"
cts "$T/region" region enroll --node dp-secretariat --territory dieppe --key "$(key "$T/old")" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
add "$T/old" UN
expect_status 0 "$CTSNODE" --home "$T/old" sync --remote "$REPO"

# ---- same machine: a copy (backup restored) works as before ----
cp -a "$T/old" "$T/same"
add "$T/same" MEME
expect_status 0 "$CTSNODE" --home "$T/same" sync
rm -rf "$T/old"
mv "$T/same" "$T/old"
pass "copie ou déplacement sur le même ordinateur : accepté"

# ---- the folder copied to another machine ----
cp -a "$T/old" "$T/copy"
export CTSNODE_MACHINE_ID_FILE="$T/other-machine-id"
seq_before=$(cts "$T/copy" status --json | jq .last_seq)
hist() { sqlite3 "file:$1/node.db?mode=ro" "SELECT count(*) FROM history"; }
files_before=$(hist "$T/copy")
head_before=$(published dp-secretariat)
add "$T/copy" COPIE                                    # typing is kept, not sealed
expect_status 2 "$CTSNODE" --home "$T/copy" sync
assert_contains "$ERR" "copié depuis un autre ordinateur"
assert_contains "$ERR" "rien n'a été scellé ni envoyé"
assert_contains "$ERR" "ctsnode init --adopt"
assert_contains "$ERR" "region replace"
expect_status 0 "$CTSNODE" --home "$T/copy" status --json
assert_eq "$(jq .last_seq <<<"$OUT")" "$seq_before" "numéro après le refus"
[ "$(jq .pending_ops <<<"$OUT")" -gt 0 ] || fail "la saisie faite sur la copie a disparu"
assert_eq "$(hist "$T/copy")" "$files_before" "historique après le refus"
assert_eq "$(published dp-secretariat)" "$head_before" "branche du nœud au dépôt après le refus"
pass "dossier copié sur un autre ordinateur : refusé avant de sceller (code 2, la procédure), rien scellé ni envoyé"

# ---- meanwhile the old machine goes on, then is retired ----
(unset CTSNODE_MACHINE_ID_FILE; add "$T/old" ANCIEN; expect_status 0 "$CTSNODE" --home "$T/old" sync)
old_last=$(unset CTSNODE_MACHINE_ID_FILE; cts "$T/old" status --json | jq .last_seq)
[ "$old_last" -gt "$seq_before" ] || fail "l'ancien poste n'a rien publié"

# ---- the way out: refused without the remote, then it continues ----
mv "$REPO" "$T/away.git"
expect_status 2 "$CTSNODE" --home "$T/copy" init --adopt
assert_contains "$ERR" "n'est pas repris"
assert_contains "$ERR" "bifurcation"
expect_status 2 "$CTSNODE" --home "$T/copy" sync
mv "$T/away.git" "$REPO"
expect_status 0 "$CTSNODE" --home "$T/copy" init --adopt --json
assert_eq "$(jq -c '[.adopted, .local_seq, .published_seq, .taken]' <<<"$OUT")" \
	"[true,$seq_before,$old_last,$((old_last - seq_before))]" "reprise"
expect_status 0 "$CTSNODE" --home "$T/copy" init --adopt
assert_contains "$OUT" "déjà celui de ce poste"
expect_status 0 "$CTSNODE" --home "$T/copy" sync
assert_eq "$(cts "$T/copy" status --json | jq .last_seq)" "$((old_last + 1))" "numéro suivant après la reprise"
CTSNODE_MACHINE_ID_FILE= expect_status 0 "$CTSNODE" --home "$T/region" region pull
assert_eq "$(cts "$T/region" member list --territory dieppe --json | jq -r '[.[].last_name] | sort | join(",")')" \
	"ANCIEN,COPIE,MEME,UN" "membres à la région"
assert_eq "$(cts "$T/region" status --json | jq -c '[(.refused | length), (.pending | length)]')" "[0,0]" \
	"rien de refusé ni en attente à la région"
expect_status 0 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq -c '[.ok, .findings_total]' <<<"$OUT")" "[true,0]" "audit propre"
pass "init --adopt : refusé sans dépôt, puis reprend ce que l'ancien poste a publié et continue sans bifurcation"

# ---- sealed on the old machine but never sent, then the folder moved ----
mv "$REPO" "$T/away.git"
add "$T/copy" HORS-LIGNE
expect_status 4 "$CTSNODE" --home "$T/copy" sync
mv "$T/away.git" "$REPO"
cp -a "$T/copy" "$T/third"
rm -rf "$T/copy"
echo "0f0e0d0c0b0a09080706050403020100" >"$T/third-machine-id"
export CTSNODE_MACHINE_ID_FILE="$T/third-machine-id"
unsent=$(cts "$T/third" status --json | jq .last_seq)
expect_status 0 "$CTSNODE" --home "$T/third" init --adopt
assert_contains "$OUT" "pas encore envoyés : n°$unsent à n°$unsent"
expect_status 0 "$CTSNODE" --home "$T/third" sync
CTSNODE_MACHINE_ID_FILE= expect_status 0 "$CTSNODE" --home "$T/region" region pull
cts "$T/region" member list --territory dieppe --json | jq -e 'any(.[]; .last_name == "HORS-LIGNE")' >/dev/null ||
	fail "le changeset scellé hors ligne n'est pas arrivé"
expect_status 0 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq -c '[.ok, .findings_total]' <<<"$OUT")" "[true,0]" "audit propre"
pass "init --adopt : ce qui était scellé et pas envoyé part au sync suivant"

# ---- a folder of an earlier version (no machine recorded) adopts silently ----
sqlite3 "$T/third/node.db" "DELETE FROM meta WHERE key = 'machine'"
echo "99999999999999999999999999999999" >"$T/fourth-machine-id"
export CTSNODE_MACHINE_ID_FILE="$T/fourth-machine-id"
add "$T/third" ANCIENNE-VERSION
expect_status 0 "$CTSNODE" --home "$T/third" sync
[ -n "$(sqlite3 "$T/third/node.db" "SELECT value FROM meta WHERE key = 'machine'")" ] || fail "machine non retenue"
export CTSNODE_MACHINE_ID_FILE="$T/other-machine-id"
add "$T/third" ENCORE
expect_status 2 "$CTSNODE" --home "$T/third" sync
pass "dossier d'une version antérieure : adopte l'ordinateur où il sert d'abord, puis le garde"

# ---- the regional node's folder copied: its region branch follows too ----
unset CTSNODE_MACHINE_ID_FILE
cp -a "$T/region" "$T/region2"
make_territory "$T/new" dieppe dp-nouveau "$T/region"
cts "$T/region" region enroll --node dp-nouveau --territory dieppe --key "$(key "$T/new")" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull       # the old machine publishes the region branch again
export CTSNODE_MACHINE_ID_FILE="$T/other-machine-id"
expect_status 2 "$CTSNODE" --home "$T/region2" region pull
assert_contains "$ERR" "copié depuis un autre ordinateur"
expect_status 0 "$CTSNODE" --home "$T/region2" init --adopt
expect_status 0 "$CTSNODE" --home "$T/region2" region pull
expect_status 0 "$CTSNODE" --home "$T/region2" region list --json
jq -e 'any(.[]; .node == "dp-nouveau" and .state == "enrolled")' <<<"$OUT" >/dev/null || fail "inscription faite avant la copie reprise"
expect_status 0 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq -c '[.ok, .findings_total]' <<<"$OUT")" "[true,0]" "audit propre"
pass "dossier du nœud régional copié : reprise avec la branche region, audit propre"
