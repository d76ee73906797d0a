#!/usr/bin/env bash
# The record corrections of ctsnode ui, driven with curl and checked
# against `ctsnode --json`: the sheet preview's notes (a misspelt name
# with its suggestion, titular members missing) and options (absent
# missing, replace) in the page's words; one person's mark set and
# removed in the meeting's list of the roll; a planned meeting that takes
# no attendance; an approved meeting locked, reopened only with a reason;
# an empty name said to be required; a removed member restored.
source "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"

make_region "$T/r" normandie region-normandie
make_territory "$T/t" le-havre lh-secretariat "$T/r"
h="$T/t"
m1=$(cts "$h" meeting add --body pleniere --date 2020-06-17 --title "CTS Le Havre")
cts "$h" attendance import --meeting "$m1" "$A/le-havre.csv" --create-missing >/dev/null
m2=$(cts "$h" meeting add --body pleniere --date 2020-09-15 --title "CTS Le Havre, septembre")

"$CTSNODE" --home "$h" ui --no-browser >"$T/ui.out" 2>"$T/ui.err" &
UI=$!
on_exit "kill $UI 2>/dev/null"
for i in $(seq 1 100); do [ -s "$T/ui.out" ] && break; sleep 0.1; done
URL=$(head -1 "$T/ui.out")
[[ "$URL" =~ ^(http://127\.0\.0\.1:[0-9]+)/\?token= ]] || fail "première ligne : « $URL »"
BASE=${BASH_REMATCH[1]}
curl -s -c "$T/jar" "$URL" >/dev/null
code() { curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" "$@"; }
assert_eq "$(code "$BASE/reunions/$m2")" 200 "page de la réunion"
csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//;s/"$//')
[ ${#csrf} -eq 64 ] || fail "jeton CSRF absent"
att() { cts "$h" attendance list --meeting "$1" --json; }
status_of() { att "$1" | jq -r --arg id "$2" '[.[] | select(.member == $id and (.guest | not)) | .status][0] // "none"'; }
page() { sed 's/<[^>]*>//g; s/&#39;/'"'"'/g; s/&quot;/"/g; s/&amp;/\&/g' "$T/body"; }

# --- the sheet preview: a misspelt name refused with its suggestion, in the page's words
assert_eq "$(code -F "csrf=$csrf" -F "sheet=@$A/le-havre.misspelt.csv" -F create_missing=1 "$BASE/reunions/$m2/feuille")" 400 \
	"aperçu d'une feuille mal orthographiée"
assert_contains "$(page)" "À corriger avant l'import" "partie des refus"
assert_contains "$(page)" "CASSADEI François — vouliez-vous dire CASADEI François ?" "suggestion"
assert_contains "$(page)" "nom proche d'un membre : à corriger sur la feuille" "action de la ligne"
grep -q -- "--create-missing\|(ctsnode " "$T/body" && fail "conseil de la ligne de commande dans la page"
assert_eq "$(att "$m2" | jq length)" 0 "rien écrit par l'aperçu refusé"
pass "aperçu : nom proche refusé avec sa suggestion, en mots de la page, rien d'écrit"

# --- titular members missing from a sheet: named, recorded absent on request
head -5 "$A/le-havre.csv" >"$T/short.csv"
assert_eq "$(code -F "csrf=$csrf" -F "sheet=@$T/short.csv" "$BASE/reunions/$m2/feuille")" 200 "aperçu d'une feuille courte"
assert_contains "$(page)" "Titulaires absents de la feuille" "titulaires manquants"
assert_contains "$(page)" "n'est pas sur la feuille" "titulaire manquant nommé"
missing=$(page | grep -o "n'est pas sur la feuille" | wc -l)
assert_eq "$(code -d "csrf=$csrf" -d reuse=1 -d absent_missing=1 "$BASE/reunions/$m2/feuille")" 200 "aperçu avec absent_missing"
assert_contains "$(page)" "noté absent" "option dite"
grep -q 'id="f-absent_missing" name="absent_missing" value="1" checked' "$T/body" || fail "option non cochée dans l'aperçu"
assert_eq "$(code -d "csrf=$csrf" "$BASE/reunions/$m2/feuille/confirmer")" 303 "confirmation"
assert_eq "$(att "$m2" | jq '[.[] | select(.status == "absent")] | length')" "$missing" "titulaires notés absents"
pass "titulaires absents de la feuille : nommés, notés absents avec l'option ($missing)"

# --- a sheet that would change recorded attendance: refused without "replace", said in the page's words
assert_eq "$(code -F "csrf=$csrf" -F "sheet=@$A/le-havre.csv" -F create_missing=1 "$BASE/reunions/$m2/feuille")" 400 \
	"aperçu sans remplacer"
assert_contains "$(page)" "cochez « Remplacer les présences déjà saisies »" "refus en mots de la page"
grep -q -- "--replace" "$T/body" && fail "--replace dans la page"
assert_contains "$(page)" "Refaire l'aperçu en remplaçant les présences déjà saisies" "bouton proposé"
assert_eq "$(code -d "csrf=$csrf" -d reuse=1 -d create_missing=1 -d replace=1 "$BASE/reunions/$m2/feuille")" 200 "aperçu en remplaçant"
assert_contains "$(page)" "La réunion a déjà des présences" "présences d'avant dites"
assert_eq "$(code -d "csrf=$csrf" -d reuse=1 -d drop=1 "$BASE/reunions/$m2/feuille/abandonner")" 303 "abandon"
pass "feuille qui changerait les présences : refusée sans « Remplacer », dite en mots de la page"

# --- one person's mark, in the list of the roll
geslin=$(cts "$h" member list --json | jq -r '.[] | select(.last_name == "CASADEI") | .id')
[ -n "$geslin" ] || fail "membre CASADEI absent"
assert_eq "$(status_of "$m1" "$geslin")" present "présence avant"
code "$BASE/reunions/$m1" >/dev/null
grep -q "name=\"m_$geslin\" value=\"present\" checked" "$T/body" || fail "choix actuel non coché"
grep -q '<fieldset class="person"><legend>CASADEI François' "$T/body" || fail "fieldset et légende par personne"
before=$(att "$m1" | jq length)
assert_eq "$(code -d "csrf=$csrf" -d "m_$geslin=excused" "$BASE/reunions/$m1/presences")" 303 "correction d'une présence"
assert_eq "$(status_of "$m1" "$geslin")" excused "présence corrigée"
code "$BASE/reunions/$m1" >/dev/null
assert_contains "$(page)" "1 présence(s) modifiée(s) : CASADEI François : Présent → Excusé" "message"
assert_eq "$(code -d "csrf=$csrf" -d "m_$geslin=none" "$BASE/reunions/$m1/presences")" 303 "présence retirée"
assert_eq "$(status_of "$m1" "$geslin")" none "présence retirée (attendance list)"
assert_eq "$(att "$m1" | jq length)" $((before - 1)) "une seule ligne retirée"
assert_eq "$(code -d "csrf=$csrf" -d "m_$geslin=none" "$BASE/reunions/$m1/presences")" 303 "rien à changer"
code "$BASE/reunions/$m1" >/dev/null
assert_contains "$(page)" "Aucune présence n'a changé" "rien à changer dit"
assert_eq "$(code -d "csrf=$csrf" -d "m_$geslin=present" "$BASE/reunions/$m1/presences")" 303 "présence remise"
assert_eq "$(status_of "$m1" "$geslin")" present "présence remise"
pass "une présence corrigée, retirée, remise dans la liste de la réunion (attendance list --json)"

# --- a planned meeting takes no attendance; an approved one is locked until reopened with a reason
m3=$(cts "$h" meeting add --body bureau --date "$(date -d '+2 months' +%F)" --title "Bureau à venir")
code "$BASE/reunions/$m3" >/dev/null
assert_contains "$(page)" "les présences se notent une fois la réunion tenue" "réunion prévue"
grep -q 'action="/reunions/'"$m3"'/presences"' "$T/body" && fail "formulaire de présences sur une réunion prévue"
grep -q 'name="sheet"' "$T/body" && fail "import de feuille proposé sur une réunion prévue"
assert_eq "$(code -d "csrf=$csrf" -d status=approuvee "$BASE/reunions/$m1/statut")" 303 "approbation"
assert_eq "$(cts "$h" meeting list --json | jq -r --arg id "$m1" '.[] | select(.id == $id) | .status')" approuvee "approuvée"
code "$BASE/reunions/$m1" >/dev/null
assert_contains "$(page)" "les présences sont verrouillées" "verrou dit"
grep -q "name=\"m_$geslin\" value=\"excused\" disabled" "$T/body" || fail "choix non verrouillés"
assert_eq "$(code -d "csrf=$csrf" -d "m_$geslin=excused" "$BASE/reunions/$m1/presences")" 400 "présence sur réunion approuvée"
assert_eq "$(status_of "$m1" "$geslin")" present "rien écrit sur une réunion approuvée"
assert_eq "$(code -d "csrf=$csrf" -d reason= "$BASE/reunions/$m1/rouvrir")" 400 "réouverture sans motif"
grep -q 'id="f-reason"[^>]*aria-invalid="true"' "$T/body" || fail "motif non marqué invalide"
grep -q -- "--reason" "$T/body" && fail "--reason dans la page"
assert_eq "$(code -d "csrf=$csrf" --data-urlencode "reason=erreur de présence" "$BASE/reunions/$m1/rouvrir")" 303 "réouverture"
assert_eq "$(cts "$h" meeting list --json | jq -r --arg id "$m1" '.[] | select(.id == $id) | .status + "|" + .reopen_reason')" \
	"tenue|erreur de présence" "rouverte avec son motif"
pass "réunion prévue sans présences ; approuvée verrouillée, rouverte avec un motif seulement"

# --- an empty required name; a removed member restored
assert_eq "$(code -d "csrf=$csrf" -d last_name= -d first_name=Anne -d college=usagers "$BASE/membres")" 400 "nom vide"
assert_contains "$(page)" "le nom est obligatoire" "message du nom vide"
grep -q "effacé\|valeur nulle" "$T/body" && fail "message d'effacement pour un nom vide"
cts "$h" member remove "$geslin" >/dev/null
code "$BASE/membres/retires" >/dev/null
assert_contains "$(page)" "CASADEI" "membre retiré listé"
assert_eq "$(code -d "csrf=$csrf" "$BASE/membres/$geslin/retablir")" 303 "rétablissement"
assert_eq "$(cts "$h" member list --json | jq --arg id "$geslin" '[.[] | select(.id == $id)] | length')" 1 "membre rétabli"
pass "nom vide : « obligatoire » ; membre retiré rétabli"

# --- a clean stop (under ASan: no leak in the pages above)
kill -TERM "$UI"
set +e
wait "$UI"
st=$?
set -e
assert_eq "$st" 0 "code de sortie après SIGTERM"
pass "arrêt propre"
