#!/usr/bin/env bash
# ctsnode ui, seen from a hostile or careless client (curl): 127.0.0.1
# only, Host check (DNS rebinding), sessions from the launch token only,
# CSRF token and Origin on every change (nothing written when refused),
# security headers, bounded bodies, malformed requests, a busy node, the
# passphrase forgotten when idle or on "Verrouiller", a clean stop.
source "$CTS_E2E_LIB"

PASS="phrase de passe du poste"
make_region "$T/r" normandie region-normandie
auth=$(cts "$T/r" key show | awk '{print $1" "$2}')
CTSNODE_PASSPHRASE="$PASS" cts "$T/t" init --territory le-havre --node le-havre-1 --authority-key "$auth" >/dev/null
meeting=$(cts "$T/t" meeting add --body pleniere --date 2020-06-17 --title "Séance")

CTSNODE_TEST_UI_IDLE_S=2 "$CTSNODE" --home "$T/t" ui --no-browser >"$T/ui.out" 2>"$T/ui.err" &
UI=$!
on_exit "kill $UI 2>/dev/null"
for i in $(seq 1 100); do [ -s "$T/ui.out" ] && break; sleep 0.1; done
URL=$(head -1 "$T/ui.out")
[[ "$URL" =~ ^http://127\.0\.0\.1:([0-9]+)/\?token=([0-9a-f]{64})$ ]] || fail "première ligne : « $URL »"
PORT=${BASH_REMATCH[1]}
TOKEN=${BASH_REMATCH[2]}
BASE="http://127.0.0.1:$PORT"
pass "adresse affichée en première ligne"

# --- listening socket: 127.0.0.1 only
lines=$(ss -ltnH "sport = :$PORT")
assert_eq "$(wc -l <<<"$lines")" 1 "sockets en écoute sur le port"
assert_eq "$(awk '{print $4}' <<<"$lines")" "127.0.0.1:$PORT" "adresse d'écoute"
pass "écoute sur 127.0.0.1 seulement"

code() { curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' "$@"; }
members() { cts "$T/t" member list --json | jq length; }

# --- Host check
assert_eq "$(code -H "Host: evil.example:$PORT" "$BASE/?token=$TOKEN")" 421 "Host étranger"
assert_eq "$(code -H "Host: 127.0.0.1:1" "$BASE/")" 421 "Host d'un autre port"
assert_eq "$(code --http1.0 -H "Host:" "$BASE/")" 421 "sans Host"
grep -qi '^set-cookie' "$T/head" && fail "cookie donné malgré un Host refusé"
assert_eq "$(code -H "Host: localhost:$PORT" "$BASE/")" 403 "Host localhost accepté (puis pas de session)"
pass "Host vérifié (421)"

# --- no session, wrong token
assert_eq "$(code "$BASE/")" 403 "sans session"
assert_contains "$(cat "$T/body")" "ctsnode ui" "page sans session"
assert_eq "$(code "$BASE/membres")" 403 "page sans session"
assert_eq "$(code "$BASE/synchroniser/etat")" 403 "état sans session"
assert_eq "$(code "$BASE/?token=$(printf '0%.0s' $(seq 64))")" 403 "mauvais jeton"
grep -qi '^set-cookie' "$T/head" && fail "cookie donné pour un mauvais jeton"
pass "sans session : page qui dit comment ouvrir l'interface"

# --- the token becomes a cookie, and leaves the address
assert_eq "$(code -c "$T/jar" "$BASE/?token=$TOKEN")" 303 "échange du jeton"
grep -qi "^location: /\s*$" "$T/head" || fail "redirection attendue vers /"
cookie=$(grep -i '^set-cookie' "$T/head")
for attr in HttpOnly "SameSite=Strict" "Path=/"; do assert_contains "$cookie" "$attr" "cookie"; done
assert_eq "$(code -b "$T/jar" "$BASE/")" 200 "tableau de bord avec la session"
for h in "content-security-policy: default-src 'self'" "x-frame-options: DENY" "x-content-type-options: nosniff" \
	"referrer-policy: no-referrer" "cache-control: no-store"; do
	grep -qi "^$h" "$T/head" || fail "en-tête absent : $h"
done
pass "jeton échangé contre un cookie HttpOnly SameSite=Strict, en-têtes de sécurité"

# --- assets: embedded, typed, cached
css=$(grep -o '/static/[0-9a-f]*/style.css' "$T/body" | head -1)
assert_eq "$(code "$BASE$css")" 200 "feuille de style"
grep -qi '^content-type: text/css' "$T/head" || fail "type de la feuille de style"
grep -qi '^cache-control: public, max-age=31536000, immutable' "$T/head" || fail "cache de la feuille de style"
assert_eq "$(code "$BASE${css%style.css}app.js")" 200 "script"
grep -qi '^content-type: text/javascript' "$T/head" || fail "type du script"
assert_eq "$(code "$BASE${css%style.css}icon.svg")" 200 "icône"
grep -qi '^content-type: image/svg+xml' "$T/head" || fail "type de l'icône"
assert_eq "$(code --path-as-is "$BASE/static/x/../../etc/passwd")" 404 "chemin hors des ressources"
pass "ressources embarquées, types et cache"

# --- CSRF and Origin: refused, nothing written
code -b "$T/jar" "$BASE/" >/dev/null
csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//;s/"$//')
[ ${#csrf} -eq 64 ] || fail "jeton CSRF absent de la page"
digest=$(cts "$T/t" status --json | jq -r '.content_digest + " " + (.pending_ops|tostring)')
form=(--data-urlencode last_name=DUPONT --data-urlencode first_name=Jean --data-urlencode college=usagers)
assert_eq "$(code -b "$T/jar" "${form[@]}" "$BASE/membres")" 403 "sans jeton CSRF"
assert_eq "$(code -b "$T/jar" "${form[@]}" -d csrf=0123 "$BASE/membres")" 403 "mauvais jeton CSRF"
assert_eq "$(code -b "$T/jar" "${form[@]}" -d "csrf=$csrf" -H "Origin: http://evil.example" "$BASE/membres")" 403 "autre origine"
assert_eq "$(code -b "$T/jar" "${form[@]}" -d "csrf=$csrf" -H "Origin: http://127.0.0.1:1" "$BASE/membres")" 403 "autre port"
assert_eq "$(code -b "$T/jar" "${form[@]}" -d "csrf=$csrf" -H "Sec-Fetch-Site: cross-site" "$BASE/membres")" 403 "site tiers"
assert_eq "$(code "${form[@]}" -d "csrf=$csrf" "$BASE/membres")" 403 "jeton sans cookie"
curl -s -c "$T/jar2" "$BASE/?token=$TOKEN" >/dev/null
assert_eq "$(code -b "$T/jar2" "${form[@]}" -d "csrf=$csrf" "$BASE/membres")" 403 "jeton d'une autre session"
assert_eq "$(members)" 0 "membres après les refus"
assert_eq "$(cts "$T/t" status --json | jq -r '.content_digest + " " + (.pending_ops|tostring)')" "$digest" "rien écrit"
assert_eq "$(code -b "$T/jar" "${form[@]}" -d "csrf=$csrf" -H "Origin: $BASE" "$BASE/membres")" 303 "demande valide"
assert_eq "$(members)" 1 "membre ajouté par la demande valide"
pass "CSRF et Origin : 403 et rien d'écrit ; la même demande valide passe"

# --- bounded bodies, malformed requests
head -c $((5 * 1024 * 1024)) /dev/zero >"$T/big.csv"
assert_eq "$(code -b "$T/jar" -F "csrf=$csrf" -F "sheet=@$T/big.csv" "$BASE/reunions/$meeting/feuille")" 413 "feuille trop grosse"
{ printf -- '--sep-ctsnode\r\nContent-Disposition: form-data; name="sheet"; filename="a.csv"\r\n\r\n'; tr '\0' a <"$T/big.csv"; } >"$T/big.multipart"
assert_eq "$(code -b "$T/jar" -H "Transfer-Encoding: chunked" -H "Content-Type: multipart/form-data; boundary=sep-ctsnode" \
	--data-binary @"$T/big.multipart" "$BASE/reunions/$meeting/feuille")" 413 "envoi découpé trop gros"
head -c $((600 * 1024)) /dev/zero | tr '\0' a >"$T/big.txt"
assert_eq "$(code -b "$T/jar" --data-urlencode "text@$T/big.txt" -d "csrf=$csrf" "$BASE/contributions")" 413 "formulaire trop gros"
assert_eq "$(code -b "$T/jar" -H "Content-Type: text/plain" --data "csrf=$csrf" "$BASE/membres")" 400 "type de corps inconnu"
printf -- '--sep-ctsnode\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n%s\r\n--sep-ctsnode\r\nContent-Disposition: form-data; name="sheet"; filename="a.csv"\r\n\r\nNOM;' "$csrf" >"$T/trunc"
assert_eq "$(code -b "$T/jar" -H "Content-Type: multipart/form-data; boundary=sep-ctsnode" --data-binary @"$T/trunc" \
	"$BASE/reunions/$meeting/feuille")" 400 "multipart tronqué"
assert_eq "$(code -b "$T/jar" -X PUT "$BASE/membres")" 405 "PUT"
assert_eq "$(code -b "$T/jar" -X DELETE "$BASE/")" 405 "DELETE"
assert_eq "$(code -b "$T/jar" "$BASE/?%ff%fe=1")" 400 "argument au nom invalide"
assert_eq "$(code -b "$T/jar" "$BASE/membres/../../etc")" 404 "chemin inconnu"
assert_eq "$(code -b "$T/jar" "$BASE/reunions/pas-un-identifiant")" 404 "réunion inconnue"
printf 'X-Long: %s\n' "$(head -c 300000 /dev/zero | tr '\0' a)" >"$T/long-header"
c=$(code -b "$T/jar" -H @"$T/long-header" "$BASE/")
[ "$c" -ge 400 ] && [ "$c" -lt 500 ] || fail "en-tête énorme : $c"
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GARBAGE NOT-HTTP\r\n\r\n' >&3
read -r -t 5 status <&3 || true
exec 3>&-
[[ "$status" == HTTP/1.?" 4"* ]] || fail "requête invalide : « $status »"
assert_eq "$(code -b "$T/jar" "$BASE/")" 200 "toujours là après les requêtes invalides"
kill -0 "$UI" || fail "le serveur s'est arrêté"
pass "corps bornés (413), requêtes mal formées (4xx), serveur intact"

# --- the node is opened per request: the command line works meanwhile,
# and a busy node gives 503 with what was typed kept.
cts "$T/t" member add --last-name MARTIN --first-name Paul --organisation MSA --college etat >/dev/null || fail "la ligne de commande est bloquée"
flock -x "$T/t/lock" sleep 5 &
LOCKER=$!
sleep 0.5
assert_eq "$(code -b "$T/jar" "$BASE/")" 503 "nœud occupé"
assert_contains "$(cat "$T/body")" "Le nœud est occupé, réessayez dans un instant" "page occupée"
assert_eq "$(code -b "$T/jar" --data-urlencode last_name=LEFEBVRE --data-urlencode first_name=Anne -d college=usagers \
	-d "csrf=$csrf" "$BASE/membres")" 503 "ajout pendant que le nœud est occupé"
assert_contains "$(cat "$T/body")" 'value="LEFEBVRE"' "saisie gardée"
wait "$LOCKER"
assert_eq "$(members)" 2 "rien écrit pendant l'occupation"
pass "nœud occupé : 503, la saisie gardée, rien d'écrit ; la ligne de commande travaille en même temps"

# --- passphrase: asked, kept, forgotten when idle and on Verrouiller
assert_eq "$(code -b "$T/jar" --data-urlencode "passphrase=faux" -d "csrf=$csrf" "$BASE/phrase")" 400 "mauvaise phrase"
assert_contains "$(cat "$T/body")" "phrase de passe incorrecte" "message"
assert_eq "$(code -b "$T/jar" --data-urlencode "passphrase=$PASS" -d "csrf=$csrf" "$BASE/phrase")" 303 "bonne phrase"
code -b "$T/jar" "$BASE/" >/dev/null
assert_contains "$(cat "$T/body")" "Phrase de passe retenue" "phrase retenue"
sleep 4 # CTSNODE_TEST_UI_IDLE_S=2
code -b "$T/jar" "$BASE/" >/dev/null
grep -q "Phrase de passe retenue" "$T/body" && fail "phrase gardée après l'inactivité"
code -b "$T/jar" --data-urlencode "passphrase=$PASS" -d "csrf=$csrf" "$BASE/phrase" >/dev/null
assert_eq "$(code -b "$T/jar" -d "csrf=$csrf" "$BASE/verrouiller")" 303 "Verrouiller"
code -b "$T/jar" "$BASE/" >/dev/null
grep -q "Phrase de passe retenue" "$T/body" && fail "phrase gardée après Verrouiller"
grep -q "$PASS" "$T/ui.out" "$T/ui.err" && fail "phrase de passe dans la sortie du serveur"
pass "phrase de passe : vérifiée, oubliée après l'inactivité et sur « Verrouiller », jamais affichée"

# --- a clean stop
kill -TERM "$UI"
set +e
wait "$UI"
st=$?
set -e
assert_eq "$st" 0 "code de sortie après SIGTERM"
assert_contains "$(cat "$T/ui.err")" "Arrêt de l'interface" "message d'arrêt"
pass "arrêt propre sur SIGTERM"
