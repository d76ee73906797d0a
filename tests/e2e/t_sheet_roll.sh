# Sheets matched to the roll, never silently damaging the figures: a
# misspelt name is refused with a suggestion (never created), a member also
# listed as a guest imports with one warning, the roll's college wins,
# members missing from the sheet are named (and recorded absent on
# request), a meeting's attendance is replaced only with --replace.
# Nothing is written by any refused command (status --json unchanged).
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"

make_region "$T/region" normandie region-normandie
make_territory "$T/lh" le-havre lh-secretariat "$T/region"
h="$T/lh"
m1=$(cts "$h" meeting add --body pleniere --date 2020-06-17 --title "CTS Le Havre")
cts "$h" attendance import --meeting "$m1" "$A/le-havre.csv" --create-missing >/dev/null
m2=$(cts "$h" meeting add --body pleniere --date 2020-09-15 --title "CTS Le Havre, septembre")

# refused CMD...: exit 1, nothing written (the whole status --json, the
# member roll and the meetings' attendance unchanged); $ERR kept.
refused() {
	local before roll att1 att2
	before=$(cts "$h" status --json)
	roll=$(cts "$h" member list --json)
	att1=$(cts "$h" attendance list --meeting "$m1" --json)
	att2=$(cts "$h" attendance list --meeting "$m2" --json)
	expect_status 1 "$CTSNODE" --home "$h" "$@"
	assert_eq "$(cts "$h" status --json)" "$before" "status --json après « $* »"
	assert_eq "$(cts "$h" member list --json)" "$roll" "membres après « $* »"
	assert_eq "$(cts "$h" attendance list --meeting "$m1" --json)" "$att1" "présences après « $* »"
	assert_eq "$(cts "$h" attendance list --meeting "$m2" --json)" "$att2" "présences après « $* »"
}

# A misspelt copy: refused with the line and the member suggested, even
# with --create-missing, and in a dry run.
for extra in "" --create-missing --dry-run; do
	refused attendance import --meeting "$m2" "$A/le-havre.misspelt.csv" $extra
	assert_contains "$ERR" "ligne 2 : CASSADEI François — vouliez-vous dire CASADEI François ?"
	assert_contains "$ERR" "Rien n'a été importé"
done
J=$("$CTSNODE" --home "$h" attendance import --meeting "$m2" "$A/le-havre.misspelt.csv" --json || true)
assert_eq "$(jq -c '[.ok, .near, (.notes[0] | .kind, .line, .member_name, .blocking)]' <<<"$J")" \
	'[false,1,"near_match",2,"CASADEI François",true]' "suggestion en JSON"
assert_eq "$(jq -r '.notes[0].member' <<<"$J")" \
	"$(cts "$h" member list --json | jq -r '.[] | select(.last_name == "CASADEI") | .id')" "membre suggéré"
assert_eq "$(cts "$h" member list --json | jq length)" 18 "aucun membre créé"
pass "copie mal orthographiée : refusée avec une suggestion, rien d'écrit"

# A copy with a member also listed as a guest: one warning naming both
# lines, imported once, as the member; the figures of the real sheet.
expect_status 0 "$CTSNODE" --home "$h" attendance import --meeting "$m2" "$A/le-havre.member-as-guest.csv"
assert_eq "$(grep -c '^Attention' <<<"$OUT")" 1 "un avertissement"
assert_contains "$OUT" "LECLERC Virginie figure comme membre (ligne 12) et comme invité (ligne 30)"
assert_contains "$OUT" "18 membre(s) : 15 présent(s), 3 excusé(s), 0 absent(s) ; 10 invité(s)"
L=$(cts "$h" attendance list --meeting "$m2" --json)
assert_eq "$(jq length <<<"$L")" 28 "lignes enregistrées"
assert_eq "$(jq -c '[.[] | select(.last_name == "LECLERC") | [.college, .guest]]' <<<"$L")" '[["usagers",false]]' "LECLERC, membre"
pass "membre aussi noté invité : un avertissement, compté une fois comme membre"

# The same sheet again: nothing written, and said so.
before=$(cts "$h" status --json)
expect_status 0 "$CTSNODE" --home "$h" attendance import --meeting "$m2" "$A/le-havre.member-as-guest.csv"
assert_contains "$OUT" "déjà importée"
assert_eq "$(cts "$h" status --json)" "$before" "état après la même feuille"

# Another sheet for a meeting that has attendance: refused with the counts,
# then replaced with --replace (only the differences are written).
sed -e 's/^FUSEAU;Alain;\(.*\);;X$/FUSEAU;Alain;\1;oui;/' -e '/^PLANQUAIS;/d' "$A/le-havre.csv" >"$T/v2.csv"
refused attendance import --meeting "$m2" "$T/v2.csv"
assert_contains "$ERR" "déjà des présences (18 membre(s) : 15 présent(s), 3 excusé(s), 0 absent(s) ; 10 invité(s))"
assert_contains "$ERR" "0 ligne(s) ajoutée(s), 1 modifiée(s), 1 retirée(s)"
assert_contains "$ERR" "--replace"
ops=$(cts "$h" status --json | jq .pending_ops)
expect_status 0 "$CTSNODE" --home "$h" attendance import --meeting "$m2" "$T/v2.csv" --replace
assert_contains "$OUT" "Présences remplacées : 0 ligne(s) ajoutée(s), 1 modifiée(s), 1 retirée(s)"
assert_eq "$(cts "$h" status --json | jq .pending_ops)" "$((ops + 2))" "deux opérations écrites"
L=$(cts "$h" attendance list --meeting "$m2" --json)
assert_eq "$(jq -r '.[] | select(.last_name == "FUSEAU") | .status' <<<"$L")" present "FUSEAU corrigé"
assert_eq "$(jq '[.[] | select(.last_name == "PLANQUAIS")] | length' <<<"$L")" 0 "PLANQUAIS retiré"
pass "présences existantes : refus chiffré, puis --replace n'écrit que les différences"

# The roll's college wins, with a warning naming the person; members of the
# roll missing from the sheet are named, and --absent-missing records them.
m3=$(cts "$h" meeting add --body bureau --date 2020-10-01 --title "Bureau")
printf 'NOM;Prénom;Structure;Collège;Présent;Excusé\nLarcher;Nathalie;HAD;usagers;✓;\nVIELPEAU;Claude;Le Grand Lieu;personnes-qualifiees;1;\n' >"$T/bureau.csv"
expect_status 0 "$CTSNODE" --home "$h" attendance import --meeting "$m3" "$T/bureau.csv" --dry-run
assert_contains "$OUT" "Attention, ligne 2 : Larcher Nathalie est en « Usagers » sur la feuille mais en « Professionnels et offreurs »"
assert_contains "$OUT" "16 membre(s) titulaire(s) en mandat absent(s) de la feuille"
assert_contains "$OUT" "CASADEI François"
assert_contains "$OUT" "--absent-missing"
assert_eq "$(cts "$h" attendance list --meeting "$m3" --json | jq length)" 0 "--dry-run n'écrit rien"
cts "$h" member update "$(cts "$h" member list --json | jq -r '.[] | select(.last_name == "NICOLI") | .id')" --mandate-end 2020-09-30 >/dev/null
expect_status 0 "$CTSNODE" --home "$h" attendance import --meeting "$m3" "$T/bureau.csv" --absent-missing
assert_contains "$OUT" "15 membre(s) titulaire(s) en mandat absent(s) de la feuille, noté(s) absent(s)"
L=$(cts "$h" attendance list --meeting "$m3" --json)
assert_eq "$(jq length <<<"$L")" 17 "2 de la feuille + 15 absents"
assert_eq "$(jq -r '.[] | select(.last_name == "Larcher") | .college' <<<"$L")" professionnels "collège de la liste"
assert_eq "$(jq '[.[] | select(.status == "absent")] | length' <<<"$L")" 15 "absents notés"
assert_eq "$(jq '[.[] | select(.last_name == "NICOLI")] | length' <<<"$L")" 0 "mandat terminé : pas noté"
pass "collège de la liste, membres manquants nommés et notés absents sur demande"

# Spreadsheets saved in their own format: refused, saying which program and
# how to save as CSV.
refused attendance import --meeting "$m3" "$A/le-havre.xlsx"
assert_contains "$ERR" "classeur Excel (.xlsx)"
assert_contains "$ERR" "Fichier > Enregistrer sous"
assert_contains "$ERR" "CSV (séparateur : point-virgule)"
refused attendance import --meeting "$m3" "$A/le-havre.xls"
assert_contains "$ERR" "Excel 97-2003 (.xls)"
refused attendance import --meeting "$m3" "$A/le-havre.ods"
assert_contains "$ERR" "LibreOffice Calc (.ods)"
assert_contains "$ERR" "Texte CSV"
pass "classeurs .xlsx, .xls, .ods reconnus, avec la marche à suivre"

# Cancelled and planned meetings take no sheet.
mc=$(cts "$h" meeting add --body pleniere --date 2020-11-05 --title "Annulée" --status annulee)
refused attendance import --meeting "$mc" "$A/le-havre.csv"
assert_contains "$ERR" "annulée"
mp=$(cts "$h" meeting add --body pleniere --date 2020-11-06 --title "Prévue" --status prevue)
refused attendance import --meeting "$mp" "$A/le-havre.csv"
assert_contains "$ERR" "prévue"
pass "réunions annulée et prévue : pas de feuille"
