# CLI surface: --help everywhere, --version, usage errors exit 2.
. "$CTS_E2E_LIB"

expect_status 0 "$CTSNODE" --help
assert_contains "$OUT" "Commandes"
expect_status 0 "$CTSNODE" --version
assert_contains "$OUT" "ctsnode "

# Every command and sub-command answers --help with status 0.
for cmd in init "region init" "region enroll" "region revoke" "key show" "member add" "member list" \
	   "member update" "member remove" "member restore" "meeting add" "meeting list" "meeting update" \
	   "meeting approve" "meeting reopen" "meeting cancel" "meeting restore" "attendance import" "attendance list" \
	   "opinion add" "opinion list" "opinion update" "opinion withdraw" "opinion restore" "contribution add" \
	   "contribution list" "contribution update" "contribution withdraw" "contribution restore" status seal import rebuild \
	   conflicts "conflicts resolve"; do
	# shellcheck disable=SC2086
	expect_status 0 "$CTSNODE" $cmd --help
	assert_contains "$OUT" "Usage" "aide de « $cmd »"
done
for group in region key member meeting attendance opinion contribution; do
	expect_status 0 "$CTSNODE" $group --help
	assert_contains "$OUT" "Commandes"
done
pass "aide de chaque commande"

expect_status 2 "$CTSNODE" --frobnicate
expect_status 2 "$CTSNODE" nosuchcommand
assert_contains "$ERR" "commande inconnue"
expect_status 2 "$CTSNODE"
expect_status 2 "$CTSNODE" member
expect_status 2 "$CTSNODE" --home "$T/x" member add --last-name A --bogus
assert_contains "$ERR" "option inconnue"
expect_status 2 "$CTSNODE" --home "$T/x" meeting add --body pleniere --date 2020-06-16
assert_contains "$ERR" "--title est obligatoire"
expect_status 2 "$CTSNODE" --home "$T/x" opinion add --meeting x --subject s --for deux --against 0 --abstain 0 --outcome favorable
assert_contains "$ERR" "nombre entier"
pass "erreurs d'utilisation : code 2"

# No node yet: a clear message, status 1, nothing created.
expect_status 1 "$CTSNODE" --home "$T/none" member list
assert_contains "$ERR" "aucun nœud"
[ ! -e "$T/none/node.db" ] || fail "une base a été créée par une simple lecture"
pass "nœud absent"
