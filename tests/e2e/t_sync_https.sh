# The regional repository on a real HTTPS git host on 127.0.0.1 (nginx +
# fcgiwrap + git http-backend, TLS from a test CA, HTTP basic
# authentication with a token) and a real forward proxy (tinyproxy), all
# started and stopped by this test (tests/e2e/https_lib.sh): the sync
# scenario and stock git over https://; tokens from the environment and
# from `remote token --file`; a wrong, a missing and an inlined token; an
# unknown CA, another host name, the system store kept next to
# CTSNODE_CA_FILE; the server down (exit 4, nothing lost); a proxy required
# and given (remembered, from https_proxy, bypassed by no_proxy, down);
# `audit https://` read-only; the token in no output and no file but its own.
. "$CTS_E2E_LIB"
. "$(dirname "$CTS_E2E_LIB")/https_lib.sh"

TOKEN="glpat-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
S="$T/srv"
https_setup "$S" "$TOKEN"
LOG="$T/outputs.log" # every output of ctsnode, searched for the token at the end
run() { expect_status "$@"; printf '%s\n%s\n' "$OUT" "$ERR" >>"$LOG"; }
refs_of() { git --git-dir="$S/git/$1.git" for-each-ref --format='%(objectname) %(refname)'; }

# 1. The multi-node scenario (region + 3 territories + a second device,
# same digests, stock git verify-commit and ssh-keygen on a plain
# `git clone` of the https:// repository), token from the environment.
https_repo region
basic=$(printf 'oauth2:%s' "$TOKEN" | base64 -w0)
CTSNODE_GIT_TOKEN="$TOKEN" CTSNODE_CA_FILE="$S/ca/ca.pem" GIT_SSL_CAINFO="$S/ca/ca.pem" \
	GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="Authorization: Basic $basic" \
	CTS_SYNC_URL="https://localhost:$HTTPS_PORT/region.git" CTS_SYNC_SHORT=1 \
	bash "$(dirname "$CTS_E2E_LIB")/t_sync.sh" >>"$LOG" 2>&1 || { tail -20 "$LOG"; fail "scénario de synchronisation en https://"; }
git --git-dir="$S/git/region.git" rev-parse -q --verify refs/heads/region >/dev/null || fail "rien n'a été poussé en https://"
pass "scénario complet en https:// (jeton CTSNODE_GIT_TOKEN) : mêmes empreintes, git verify-commit et ssh-keygen"

# 2. Tokens saved once with `remote token --file`; first region pull and syncs.
https_repo region2
U="https://localhost:$HTTPS_PORT/region2.git"
export CTSNODE_CA_FILE="$S/ca/ca.pem"
printf '%s\n' "$TOKEN" >"$T/token-from-admin.txt"
make_region "$T/r" normandie region-normandie
make_territory "$T/a" rouen-elbeuf re-secretariat "$T/r"
make_territory "$T/b" le-havre lh-secretariat "$T/r"
for h in r a b; do
	run 0 "$CTSNODE" --home "$T/$h" remote token --file "$T/token-from-admin.txt"
	assert_eq "$(stat -c %a "$T/$h/git-token")" 600 "droits du fichier du jeton ($h)"
done
rm "$T/token-from-admin.txt"
assert_contains "$(cts "$T/a" remote show)" "git-token"
for spec in a:rouen-elbeuf:re-secretariat b:le-havre:lh-secretariat; do
	IFS=: read -r h terr node <<<"$spec"
	cts "$T/r" region enroll --node "$node" --territory "$terr" --key "$(cts "$T/$h" key show | awk '{print $1" "$2}')" >/dev/null
done
run 0 "$CTSNODE" --home "$T/r" region pull --remote "$U"
assert_contains "$OUT" "Envoyé au dépôt régional"
git --git-dir="$S/git/region2.git" rev-parse -q --verify refs/heads/region >/dev/null || fail "branche region absente du serveur"
m=$(cts "$T/a" meeting add --body pleniere --date 2024-03-12 --title "Plénière")
cts "$T/a" attendance import --meeting "$m" "$CTS_TEST_DATA/attendance/rouen-elbeuf.csv" --create-missing >/dev/null
cts "$T/b" member add --last-name MARTIN --first-name Anne --organisation X --college usagers >/dev/null
run 0 "$CTSNODE" --home "$T/a" sync --remote "$U"
run 0 "$CTSNODE" --home "$T/b" sync --remote "$U"
run 0 "$CTSNODE" --home "$T/r" region pull
assert_contains "$OUT" "Point de contrôle"
run 0 "$CTSNODE" --home "$T/a" sync
run 0 "$CTSNODE" --home "$T/b" sync
for h in a b; do assert_eq "$(tdigest "$T/$h")" "$(tdigest "$T/$h" "$T/r")" "empreinte du territoire de $h"; done
pass "region pull et sync en https:// avec le jeton de « remote token --file » (fichier 0600) : mêmes empreintes"

# 3. A wrong token is told as such (exit 2, not offline) and nothing is lost.
cts "$T/a" member add --last-name JETON --first-name Faux --organisation X --college etat >/dev/null
seq_before=$(cts "$T/a" status --json | jq .last_seq)
CTSNODE_GIT_TOKEN="glpat-expired-0000" run 2 "$CTSNODE" --home "$T/a" sync
assert_contains "$ERR" "jeton refusé par le serveur"
case "$OUT" in *"Envoi en attente"*) fail "un jeton refusé n'est pas « hors ligne »" ;; esac
assert_eq "$(cts "$T/a" status --json | jq .pending_ops)" 0 "travail scellé malgré le refus"
assert_eq "$(cts "$T/a" status --json | jq .last_seq)" "$((seq_before + 1))" "changeset gardé"
run 0 "$CTSNODE" --home "$T/a" sync
run 0 "$CTSNODE" --home "$T/r" region pull
assert_eq "$(cts "$T/r" member list --territory rouen-elbeuf --json | jq '[.[] | select(.last_name == "JETON")] | length')" 1 "travail livré ensuite"
# No token at all, and a token written in the address.
make_territory "$T/c" dieppe dp-secretariat "$T/r"
run 2 "$CTSNODE" --home "$T/c" sync --remote "$U"
assert_contains "$ERR" "aucun jeton"
assert_contains "$ERR" "ctsnode remote token --file"
run 2 "$CTSNODE" --home "$T/a" sync --remote "https://oauth2:$TOKEN@localhost:$HTTPS_PORT/region2.git"
assert_contains "$ERR" "contient un mot de passe ou un jeton"
assert_eq "$(cts "$T/a" remote show --json | jq -r .remote)" "$U" "adresse retenue inchangée"
run 2 "$CTSNODE" --home "$T/d" init --territory dieppe --node dp-portable --authority-key "$(cts "$T/r" key show | awk '{print $1" "$2}')" \
	--remote "https://oauth2:$TOKEN@localhost:$HTTPS_PORT/region2.git" --no-passphrase
[ ! -e "$T/d" ] || fail "nœud créé avec un jeton dans l'adresse"
pass "jeton refusé : « jeton refusé par le serveur », code 2, travail gardé puis livré ; jeton absent ou dans l'adresse : refus clair"

# 4. Certificates: an unknown CA, another host name, the system store.
fp=$(https_fingerprint "$S/server.pem")
before=$(refs_of region2)
cts "$T/a" member add --last-name CERT --first-name Inconnu --organisation X --college etat >/dev/null
run 2 env -u CTSNODE_CA_FILE "$CTSNODE" --home "$T/a" sync
assert_contains "$ERR" "certificat du serveur localhost refusé"
assert_contains "$ERR" "empreinte SHA-256 $fp"
assert_contains "$ERR" "Certificat : O=Région test, CN=localhost"
assert_contains "$ERR" "émis par : O=Région test, CN=AC de test"
assert_contains "$ERR" "CTSNODE_CA_FILE"
assert_eq "$(refs_of region2)" "$before" "rien envoyé avec un certificat refusé"
run 2 "$CTSNODE" audit "https://127.0.0.1:$HTTPS_PORT/region2.git"
assert_contains "$ERR" "il est établi pour « localhost », pas pour « 127.0.0.1 »"
assert_contains "$ERR" "pas son adresse IP"
run 2 "$CTSNODE" audit "https://localhost:$HTTPS_OTHER_PORT/region2.git"
assert_contains "$ERR" "émis par : O=Région test, CN=Autre AC"
mkdir -p "$T/system-cas" && cp "$S/ca2/ca.pem" "$T/system-cas/autre-ac.pem"
# The CA file adds to the system's store (here SSL_CERT_DIR), it does not replace it.
CTSNODE_GIT_TOKEN="$TOKEN" SSL_CERT_DIR="$T/system-cas" run 0 "$CTSNODE" audit "https://localhost:$HTTPS_OTHER_PORT/region2.git"
CTSNODE_GIT_TOKEN="$TOKEN" SSL_CERT_DIR="$T/system-cas" run 0 "$CTSNODE" audit "https://localhost:$HTTPS_PORT/region2.git"
CTSNODE_GIT_TOKEN="$TOKEN" SSL_CERT_DIR="$T/system-cas" run 2 env -u CTSNODE_CA_FILE "$CTSNODE" audit "https://localhost:$HTTPS_PORT/region2.git"
CTSNODE_CA_FILE="$T/nothing.pem" run 2 "$CTSNODE" --home "$T/a" sync
assert_contains "$ERR" "CTSNODE_CA_FILE"
pass "certificat inconnu ou d'un autre nom : refusé avec sujet, émetteur et empreinte SHA-256 (code 2), rien envoyé ; CTSNODE_CA_FILE s'ajoute au magasin du système"

# 5. audit https:// reads only.
before=$(refs_of region2)
CTSNODE_GIT_TOKEN="$TOKEN" run 0 "$CTSNODE" audit --json "https://localhost:$HTTPS_PORT/region2.git"
assert_eq "$(jq .ok <<<"$OUT")" true "audit en https://"
assert_eq "$(refs_of region2)" "$before" "l'audit n'écrit rien"
CTSNODE_GIT_TOKEN="glpat-wrong" run 2 "$CTSNODE" audit "https://localhost:$HTTPS_PORT/region2.git"
assert_contains "$ERR" "jeton refusé"
pass "audit https:// en lecture seule (jeton de l'environnement) ; jeton refusé : code 2"

# 6. The server down: exit 4, the work kept, delivered when it is back.
cts "$T/a" member add --last-name SERVEUR --first-name Arrete --organisation X --college etat >/dev/null
https_stop
run 4 "$CTSNODE" --home "$T/a" sync
assert_contains "$OUT" "Envoi en attente"
assert_eq "$(cts "$T/a" status --json | jq .queued_push)" true "envoi en attente"
assert_eq "$(cts "$T/a" status --json | jq .pending_ops)" 0 "travail scellé"
https_start
run 0 "$CTSNODE" --home "$T/a" sync
assert_eq "$(cts "$T/a" status --json | jq .queued_push)" false "envoi livré"
run 0 "$CTSNODE" --home "$T/r" region pull
assert_eq "$(cts "$T/r" member list --territory rouen-elbeuf --json | jq '[.[] | select(.last_name == "SERVEUR" or .last_name == "CERT")] | length')" 2 "rien de perdu"
pass "serveur arrêté : code 4, travail gardé, livré au retour du serveur"

# 7. A proxy required (the server only accepts what comes through it) and given.
UP="https://localhost:$HTTPS_PROXIED_PORT/region2.git"
P="http://127.0.0.1:$PROXY_PORT"
cts "$T/b" member add --last-name PROXY --first-name Obligatoire --organisation X --college etat >/dev/null
run 4 "$CTSNODE" --home "$T/b" sync --remote "$UP"
assert_contains "$OUT" "Envoi en attente"
run 0 "$CTSNODE" --home "$T/b" sync --proxy "$P"
grep -q "CONNECT localhost:$HTTPS_PROXIED_PORT" "$S/tinyproxy.log" || fail "le proxy n'a pas été utilisé"
run 0 "$CTSNODE" --home "$T/b" sync
assert_eq "$(cts "$T/b" remote show --json | jq -r .proxy)" "$P" "proxy retenu"
dead="http://127.0.0.1:$(free_port)"
run 4 "$CTSNODE" --home "$T/b" sync --proxy "$dead"
assert_contains "$OUT" "par le proxy $dead"
run 4 "$CTSNODE" --home "$T/b" sync --proxy direct
https_proxy="$P" run 0 "$CTSNODE" --home "$T/b" sync --proxy auto
https_proxy="$P" no_proxy="example.org,localhost" run 4 "$CTSNODE" --home "$T/b" sync
run 2 "$CTSNODE" --home "$T/b" sync --proxy "http://user:pw@127.0.0.1:$PROXY_PORT"
run 0 "$CTSNODE" --home "$T/b" sync --proxy "$P"
run 0 "$CTSNODE" --home "$T/r" region pull
run 0 "$CTSNODE" --home "$T/a" sync
run 0 "$CTSNODE" --home "$T/b" sync
for h in a b; do assert_eq "$(tdigest "$T/$h")" "$(tdigest "$T/$h" "$T/r")" "empreinte du territoire de $h"; done
pass "proxy requis : direct refusé (code 4), --proxy retenu, https_proxy, no_proxy, proxy injoignable (code 4) ; convergence"

# 8. The token appears in no output and in no file but its own.
[ -s "$LOG" ] || fail "aucune sortie enregistrée"
if grep -qF "$TOKEN" "$LOG"; then fail "le jeton apparaît dans une sortie de ctsnode"; fi
for h in r a b c; do
	hits=$(grep -rlaF "$TOKEN" "$T/$h" | grep -v "^$T/$h/git-token\$" || true)
	[ -z "$hits" ] || fail "le jeton apparaît dans $hits"
	if grep -qF "$TOKEN" "$T/$h/repo.git/config" 2>/dev/null; then fail "jeton dans $h/repo.git/config"; fi
done
for h in r a b; do assert_eq "$(cat "$T/$h/git-token")" "$TOKEN" "fichier du jeton de $h"; done
pass "le jeton n'apparaît dans aucune sortie ni aucun fichier du poste, hors git-token (0600)"
