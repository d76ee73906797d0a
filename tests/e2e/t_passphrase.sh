#!/usr/bin/env bash
# Issue 16, point 4: the passphrase is asked once per command, three tries
# when typed or read line by line (CTSNODE_PASSPHRASE_FD, as a terminal
# would), and a new key's passphrase has at least 12 characters or 4 words.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
GOOD="girafe lundi parapluie rouge"

# ---- a new key's passphrase: 12 characters or 4 words ----
CTSNODE_PASSPHRASE="court" expect_status 1 "$CTSNODE" --home "$T/x" region init --region normandie --node region-normandie
assert_contains "$ERR" "phrase de passe trop courte"
assert_contains "$ERR" "4 mots"
[ -e "$T/x/node.key" ] && fail "clé créée avec une phrase trop courte"
CTSNODE_PASSPHRASE="a b c d" expect_status 0 "$CTSNODE" --home "$T/y" region init --region normandie --node region-normandie
CTSNODE_PASSPHRASE="douzecaracts" expect_status 0 "$CTSNODE" --home "$T/z" region init --region normandie --node region-normandie
pass "phrase de passe d'une nouvelle clé : 12 caractères ou 4 mots"

CTSNODE_PASSPHRASE="$GOOD" cts "$T/region" region init --region normandie --node region-normandie >/dev/null
CTSNODE_PASSPHRASE="$GOOD" cts "$T/region" region pull --remote "$REPO" >/dev/null

AUTH=$(cts "$T/region" key show | awk '{print $1" "$2}')
for k in k0 k1 k2 k3; do
	CTSNODE_PASSPHRASE="douze caracteres ok" cts "$T/$k" init --territory dieppe --node "dp-$k" --authority-key "$AUTH" >/dev/null
done
enrol() { cts "$T/region" region enroll --node "dp-$1" --territory dieppe --key "$(cts "$T/$1" key show | awk '{print $1" "$2}')" >/dev/null; }

# ---- asked once: region pull seals (key) then signs commits (key): one line ----
enrol k0
expect_status 0 env CTSNODE_PASSPHRASE_FD=3 "$CTSNODE" --home "$T/region" region pull 3< <(printf '%s\n' "$GOOD")
assert_contains "$OUT" "scellé"
pass "une seule phrase de passe pour toute la commande"

# ---- three tries ----
enrol k1
expect_status 0 env CTSNODE_PASSPHRASE_FD=3 "$CTSNODE" --home "$T/region" seal 3< <(printf 'faux\nencore faux\n%s\n' "$GOOD")
assert_eq "$(grep -c 'essayez encore' <<<"$ERR")" 2 "essais annoncés"
assert_contains "$ERR" "1 essai(s) restant(s)"
enrol k2
expect_status 1 env CTSNODE_PASSPHRASE_FD=3 "$CTSNODE" --home "$T/region" seal 3< <(printf 'un\ndeux\ntrois\n%s\n' "$GOOD")
assert_contains "$ERR" "phrase de passe"
expect_status 1 env CTSNODE_PASSPHRASE_FD=3 "$CTSNODE" --home "$T/region" seal 3< <(printf 'faux\n')
assert_contains "$ERR" "phrase de passe"
CTSNODE_PASSPHRASE="faux" expect_status 1 "$CTSNODE" --home "$T/region" seal
grep -q "essayez encore" <<<"$ERR" && fail "CTSNODE_PASSPHRASE ne se réessaie pas"
CTSNODE_PASSPHRASE="$GOOD" expect_status 0 "$CTSNODE" --home "$T/region" seal
pass "trois essais quand la phrase est tapée (ou lue ligne à ligne), un seul par CTSNODE_PASSPHRASE"
