# Concurrent edits of one field on two devices are kept as a conflict on
# both, the rule picks the same winner everywhere, and resolving it is an
# ordinary signed change that closes it on every node.
. "$CTS_E2E_LIB"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
for p in a:re-poste-a b:re-poste-b; do
	IFS=: read -r h node <<<"$p"
	make_territory "$T/$h" rouen-elbeuf "$node" "$T/region"
	cts "$T/region" region enroll --node "$node" --territory rouen-elbeuf --key "$(cts "$T/$h" key show | awk '{print $1" "$2}')" >/dev/null
done
cts "$T/region" region pull >/dev/null
id=$(cts "$T/a" member add --last-name GESLIN --first-name Annie --organisation "UDAF 76" --college usagers)
cts "$T/a" sync --remote "$REPO" >/dev/null
cts "$T/b" sync --remote "$REPO" >/dev/null
# Both devices change the organisation without seeing each other.
cts "$T/a" member update "$id" --organisation "UDAF de Seine-Maritime" >/dev/null
cts "$T/b" member update "$id" --organisation "France Assos Santé" >/dev/null
cts "$T/a" sync >/dev/null; cts "$T/b" sync >/dev/null; cts "$T/a" sync >/dev/null
for h in a b; do
	c=$(cts "$T/$h" conflicts --json)
	assert_eq "$(jq length <<<"$c")" 1 "conflits chez $h"
	assert_eq "$(jq -r '.[0].field' <<<"$c")" organisation "champ en conflit"
	assert_eq "$(jq -c '[.[0].win_value, .[0].lose_value] | sort' <<<"$c")" '["France Assos Santé","UDAF de Seine-Maritime"]' "les deux valeurs gardées"
done
wa=$(cts "$T/a" member list --json | jq -r '.[0].organisation')
assert_eq "$(cts "$T/b" member list --json | jq -r '.[0].organisation')" "$wa" "même gagnant partout"
assert_eq "$(cts "$T/a" status --json | jq -r .content_digest)" "$(cts "$T/b" status --json | jq -r .content_digest)" "même contenu"
pass "modifications concurrentes : conflit gardé des deux côtés, même gagnant"

# Resolve on A keeping the value that lost; B sees it closed after sync.
cid=$(cts "$T/a" conflicts --json | jq -r '.[0].id')
lose=$(cts "$T/a" conflicts --json | jq -r '.[0].lose_value')
expect_status 0 "$CTSNODE" --home "$T/a" conflicts resolve "$cid" --keep ecartee
assert_eq "$(cts "$T/a" conflicts --json | jq length)" 0 "conflit clos chez A"
cts "$T/a" sync >/dev/null; cts "$T/b" sync >/dev/null
assert_eq "$(cts "$T/b" conflicts --json | jq length)" 0 "conflit clos chez B"
assert_eq "$(cts "$T/b" member list --json | jq -r '.[0].organisation')" "$lose" "valeur choisie appliquée"
expect_status 1 "$CTSNODE" --home "$T/a" conflicts resolve 999 --keep retenue
expect_status 2 "$CTSNODE" --home "$T/a" conflicts resolve "$cid" --keep toutes
pass "résolution : une modification signée ordinaire, close partout"
