#!/usr/bin/env bash
# Issue 16, point 5, network remotes: a git://, https:// or ssh:// remote
# never reached whose server answers that the repository does not exist is
# an error (exit 2, clear message) and is not remembered; a network remote
# that does not answer at all at the first contact is taken as offline
# (exit 4, the work sealed and kept, the address kept, the message says it
# never answered); a remote that worked before and now says it has no such
# repository stays exit 4. Real servers on 127.0.0.1: git daemon, nginx +
# git http-backend, OpenSSH.
. "$CTS_E2E_LIB"
. "$(dirname "$CTS_E2E_LIB")/https_lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" # libgit2's ssh leaks (lsan.supp)
REPO="$T/region.git"
key() { cts "$1" key show | awk '{print $1" "$2}'; }
kept() { cts "$1" remote show --json | jq -r '.remote // "null"'; }
add() { cts "$1" member add --last-name "$2" --first-name X --organisation X --college etat >/dev/null; }

make_region "$T/region" normandie region-normandie
make_territory "$T/t" dieppe dp-secretariat "$T/region"
cts "$T/region" region enroll --node dp-secretariat --territory dieppe --key "$(key "$T/t")" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
add "$T/t" GARDE

# never_reached URL LABEL: exit 2, the message, nothing kept, nothing sealed
never_reached() {
	expect_status 2 "$CTSNODE" --home "$T/t" sync --remote "$1"
	assert_contains "$ERR" "n'a jamais pu être atteint" "$2"
	assert_contains "$ERR" "elle n'a pas été retenue" "$2"
	assert_eq "$(kept "$T/t")" null "adresse retenue ($2)"
}

# ---- git daemon ----
S="$T/srv"; mkdir -p "$S"; chmod 755 "$T" "$S"
cp -a "$REPO" "$S/region.git"
git_daemon_start "$S"
port=$DAEMON_PORT
never_reached "git://127.0.0.1:$port/regoin.git" "git daemon"
pass "git:// : dépôt inexistant sur un serveur qui répond : code 2, adresse non retenue"

# ---- https (nginx + git http-backend) ----
https_setup "$T/https" "jeton-de-test"
export CTSNODE_CA_FILE="$T/https/ca/ca.pem" CTSNODE_GIT_TOKEN="jeton-de-test"
never_reached "https://localhost:$HTTPS_PORT/regoin.git" "https"
pass "https:// : dépôt inexistant (HTTP 404) : code 2, adresse non retenue"

# ---- ssh ----
sshd_start "$S"
sport=$SSHD_PORT
never_reached "ssh://$(id -un)@127.0.0.1:$sport$S/regoin.git" "ssh"
mkdir "$S/pas-un-depot"
never_reached "ssh://$(id -un)@127.0.0.1:$sport$S/pas-un-depot" "ssh, dossier"
pass "ssh:// : chemin inexistant ou dossier qui n'est pas un dépôt : code 2, adresse non retenue"

# ---- no answer at all at the first contact: offline, kept ----
silent="git://127.0.0.1:$(free_port)/region.git"
before=$(cts "$T/t" status --json | jq .last_seq)
add "$T/t" SILENCE
expect_status 4 "$CTSNODE" --home "$T/t" sync --remote "$silent"
assert_contains "$OUT$ERR" "n'a encore jamais répondu"
assert_contains "$OUT$ERR" "gardé sur ce poste"
assert_eq "$(kept "$T/t")" "$silent" "adresse gardée"
[ "$(cts "$T/t" status --json | jq .last_seq)" -gt "$before" ] || fail "rien de scellé hors ligne"
pass "serveur qui ne répond pas du tout au premier contact : code 4 (hors ligne), travail scellé, adresse gardée"

# ---- reached once, then the server says it has no such repository: exit 4 ----
good="git://127.0.0.1:$port/region.git"
expect_status 0 "$CTSNODE" --home "$T/t" sync --remote "$good"
assert_eq "$(kept "$T/t")" "$good" "adresse retenue"
mv "$S/region.git" "$S/ailleurs.git"
add "$T/t" APRES
expect_status 4 "$CTSNODE" --home "$T/t" sync
grep -q "jamais" <<<"$OUT$ERR" && fail "un dépôt déjà atteint est dit jamais atteint"
mv "$S/ailleurs.git" "$S/region.git"
expect_status 0 "$CTSNODE" --home "$T/t" sync
pass "dépôt déjà atteint puis introuvable : code 4, livré ensuite"
