# Records a secretary can correct, through real sync between two devices
# of one territory and the region: concurrent edits of one meeting (conflict
# kept, convergence), a cancel racing an update, an approval racing an
# edit, edits of an approved meeting refused until reopened, restore after
# remove; records addressed by prefix, date and name (ambiguity: exit 2);
# listings in French and CSV; every refused command writes nothing; the
# report follows; rebuild gives the same digest after all these edits.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
enroll_territories "$T/region" a:rouen-elbeuf:re-poste-a b:rouen-elbeuf:re-poste-b
cts "$T/region" region pull >/dev/null
syncall() { # both devices, the region (which signs a checkpoint), both devices again
	cts "$T/a" sync >/dev/null; cts "$T/b" sync >/dev/null; cts "$T/a" sync >/dev/null
	cts "$T/region" region pull >/dev/null; cts "$T/a" sync >/dev/null; cts "$T/b" sync >/dev/null
}
digest() { cts "$1" status --json | jq -r .content_digest; }
same_everywhere() {
	local ref; ref=$(digest "$T/a")
	assert_eq "$(digest "$T/b")" "$ref" "empreinte de B ($1)"
	assert_eq "$(digest "$T/region")" "$ref" "empreinte de la région ($1)"
}
# refused HOME cmd...: exit status 1 (or 2 with REFUSED_STATUS), nothing written.
refused() {
	local h=$1 want=${REFUSED_STATUS:-1}; shift
	local before; before=$(cts "$h" status --json)
	expect_status "$want" "$CTSNODE" --home "$h" "$@"
	assert_eq "$(cts "$h" status --json)" "$before" "état après « $* » refusé"
}

m=$(cts "$T/a" meeting add --body pleniere --date 16/06/2020 --title "Séance plénière")
cts "$T/a" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
m2=$(cts "$T/a" meeting add --body bureau --date 2020-06-16 --title "Bureau")
m3=$(cts "$T/a" meeting add --body sante-mentale --date 2020-10-01 --title "Commission")
cts "$T/a" sync --remote "$REPO" >/dev/null
cts "$T/b" sync --remote "$REPO" >/dev/null
pass "deux postes d'un territoire, une réunion avec sa feuille"

# Addressing: unique prefix, date, name; ambiguity lists and exits 2.
expect_status 0 "$CTSNODE" --home "$T/a" attendance list --meeting "${m:0:6}" --json
assert_eq "$(jq length <<<"$OUT")" 40 "réunion désignée par un préfixe"
expect_status 0 "$CTSNODE" --home "$T/a" attendance list --meeting 01/10/2020 --json
assert_eq "$(jq length <<<"$OUT")" 0 "réunion désignée par sa date"
REFUSED_STATUS=2 refused "$T/a" meeting update 16/06/2020 --title X
assert_contains "$ERR" "désigne 2 réunions"
assert_contains "$ERR" "${m:0:8} 16/06/2020 Assemblée plénière « Séance plénière »"
assert_contains "$ERR" "${m2:0:8} 16/06/2020 Bureau « Bureau »"
refused "$T/a" meeting update 17/06/2020 --title X
assert_contains "$ERR" "aucune réunion"
refused "$T/a" meeting update "${m:0:3}" --title X
assert_contains "$ERR" "au moins 4 caractères"
expect_status 0 "$CTSNODE" --home "$T/a" member update "alby jerome" --organisation "CHU de Rouen"
assert_contains "$OUT" "Membre ALBY Jérôme : structure"
pass "désignation : préfixe, date, nom ; ambiguïté listée (code 2), rien d'écrit"

# Listings in French, aligned by display width, and CSV for Excel.
L=$(cts "$T/a" member list)
assert_contains "$(head -1 <<<"$L")" "Nom"
assert_contains "$L" "Professionnels et offreurs"
[ "$(tail -1 <<<"$L")" = "29 membre(s)." ] || fail "pied de liste : $(tail -1 <<<"$L")"
# Every data line has its college column at the same display column.
cols=$(sed '1d;$d' <<<"$L" | python3 -c '
import sys, unicodedata
seen = set()
for line in sys.stdin:
    line = line.rstrip("\n")
    for label in ("Professionnels et offreurs", "Usagers", "Collectivités territoriales", "État et organismes", "Personnalités qualifiées"):
        i = line.find(label)
        if i >= 0:
            seen.add(sum(0 if unicodedata.combining(c) else 1 for c in line[:i])); break
print(len(seen))')
assert_eq "$cols" 1 "colonnes alignées malgré les accents"
cts "$T/a" meeting list | grep -qE "^${m:0:8}  16/06/2020  Assemblée plénière +Tenue +Séance plénière$" || fail "liste des réunions"
cts "$T/a" member list --format csv >"$T/m.csv"
[ "$(head -c 3 "$T/m.csv" | od -An -tx1 | tr -d ' ')" = "efbbbf" ] || fail "BOM absent"
grep -q $'^\xef\xbb\xbfId;Nom;Prénom;Collège;Siège;Rôle;Mandat;Structure\r$' "$T/m.csv" || fail "en-tête CSV"
assert_eq "$(grep -c $'\r$' "$T/m.csv")" 30 "lignes CRLF"
grep -q "^$(cts "$T/a" member list --json | jq -r '.[0].id');" "$T/m.csv" || fail "identifiant complet dans le CSV"
cts "$T/a" attendance list --meeting "$m" --format csv >"$T/a.csv"
grep -q ';Présent;' "$T/a.csv" && grep -q ';Invité;' "$T/a.csv" || fail "présences en français dans le CSV"
assert_eq "$(cts "$T/a" attendance list --meeting "$m" --json | jq -r '[.[].status] | unique | join(",")')" "absent,excused,present" "JSON : codes"
assert_eq "$(cts "$T/a" meeting list --json | jq -r '.[0].date')" 2020-06-16 "JSON : dates ISO"
pass "listes en français, alignées, CSV Excel ; JSON inchangé"

# Concurrent edits of one meeting on two devices: conflict kept, convergence.
cts "$T/a" sync >/dev/null; cts "$T/b" sync >/dev/null
expect_status 0 "$CTSNODE" --home "$T/a" meeting update "$m" --title "Plénière du 16 juin"
assert_eq "$OUT" "Réunion du 16/06/2020 « Séance plénière » : titre « Séance plénière » → « Plénière du 16 juin »." "ligne dite"
expect_status 0 "$CTSNODE" --home "$T/b" meeting update "$m" --title "Séance plénière de juin" --place "Mairie d'Elbeuf"
syncall
for h in a b; do
	c=$(cts "$T/$h" conflicts --json)
	assert_eq "$(jq '[.[] | select(.field == "title")] | length' <<<"$c")" 1 "conflit du titre chez $h"
done
assert_eq "$(cts "$T/b" meeting list --json | jq -r ".[] | select(.id == \"$m\") | .place")" "Mairie d'Elbeuf" "lieu de B gardé"
same_everywhere "édition concurrente"
pass "modification concurrente d'une réunion : conflit gardé, même contenu partout"

# A cancel racing an update: both kept (different fields), same everywhere.
expect_status 0 "$CTSNODE" --home "$T/a" meeting cancel "$m2"
expect_status 0 "$CTSNODE" --home "$T/b" meeting update "$m2" --title "Bureau restreint"
syncall
assert_eq "$(cts "$T/b" meeting list --json | jq -r ".[] | select(.id == \"$m2\") | .status + \"|\" + .title")" "annulee|Bureau restreint" "annulation et correction"
same_everywhere "annulation concurrente"
# The date is no longer ambiguous: the cancelled one gives way.
expect_status 0 "$CTSNODE" --home "$T/a" attendance list --meeting 2020-06-16 --json
assert_eq "$(jq length <<<"$OUT")" 40 "la réunion annulée s'efface devant l'autre"
pass "annulation contre modification : les deux gardées, convergence"

# Approval locks; an edit made meanwhile on the other device still converges.
expect_status 0 "$CTSNODE" --home "$T/a" meeting approve "$m3"
expect_status 0 "$CTSNODE" --home "$T/b" meeting update "$m3" --place "ARS, Rouen"
syncall
assert_eq "$(cts "$T/a" meeting list --json | jq -r ".[] | select(.id == \"$m3\") | .status + \"|\" + .place")" "approuvee|ARS, Rouen" "approbation et modification"
same_everywhere "approbation concurrente"
refused "$T/b" meeting update "$m3" --title "Autre"
assert_contains "$ERR" "meeting reopen ${m3:0:8}"
refused "$T/b" opinion add --meeting "$m3" --subject "Avis" --for 1 --against 0 --abstain 0 --outcome favorable
refused "$T/b" contribution add --theme segur-pilier-1 --title T --text X --meeting "$m3"
refused "$T/b" meeting cancel "$m3"
refused "$T/b" meeting reopen "$m3" --reason " "
expect_status 0 "$CTSNODE" --home "$T/b" meeting reopen 01/10/2020 --reason "lieu à corriger"
expect_status 0 "$CTSNODE" --home "$T/b" meeting update 01/10/2020 --place "Hôtel de région"
syncall
assert_eq "$(cts "$T/a" meeting list --json | jq -r ".[] | select(.id == \"$m3\") | .status + \"|\" + .reopen_reason + \"|\" + .place")" \
	"tenue|lieu à corriger|Hôtel de région" "réouverture reçue par A"
same_everywhere "réouverture"
pass "réunion approuvée verrouillée jusqu'à sa réouverture motivée, par la synchronisation"

# Restore after remove, across devices, same identity and values.
mid=$(cts "$T/a" member list --json | jq -r '.[] | select(.last_name == "ALBY") | .id')
expect_status 0 "$CTSNODE" --home "$T/a" member remove "ALBY Jérôme"
syncall
assert_eq "$(cts "$T/b" member list --json | jq "[.[] | select(.id == \"$mid\")] | length")" 0 "retiré chez B"
assert_eq "$(cts "$T/b" member list --removed --json | jq -r '.[0].organisation')" "CHU de Rouen" "dernières valeurs gardées"
refused "$T/b" member update "$mid" --role X
expect_status 0 "$CTSNODE" --home "$T/b" member restore alby
assert_contains "$OUT" "rétabli"
syncall
assert_eq "$(cts "$T/a" member list --json | jq -c ".[] | select(.id == \"$mid\") | [.last_name, .first_name, .organisation, .college]")" \
	'["ALBY","Jérôme","CHU de Rouen","professionnels"]' "rétabli chez A avec ses valeurs"
same_everywhere "rétablissement"
pass "membre retiré puis rétabli sur l'autre poste : même identité, mêmes valeurs"

# Opinions and contributions: corrected, withdrawn, restored; domain checks.
o=$(cts "$T/a" opinion add --meeting 2020-06-16 --subject "Diagnostic territorial" --for 2 --against 18 --abstain 0 --outcome favorable 2>"$T/warn")
assert_contains "$(cat "$T/warn")" "plus de voix contre"
o2=$(cts "$T/a" opinion add --meeting "$m" --subject "Saisi deux fois" --for 20 --against 1 --abstain 0 --outcome favorable)
expect_status 0 "$CTSNODE" --home "$T/a" opinion withdraw "saisi deux fois"
assert_contains "$OUT" "état Rendu → Retiré"
expect_status 0 "$CTSNODE" --home "$T/a" opinion withdraw "${o2:0:8}"
assert_contains "$OUT" "Rien à changer"
refused "$T/a" opinion update "$o" --for 30
assert_contains "$ERR" "membres présents"
c1=$(cts "$T/a" contribution add --theme segur-pilier-1 --title "Reçue en 2019" --text X --date 12/11/2019)
c2=$(cts "$T/a" contribution add --theme segur-pilier-2 --title "Par erreur" --text X)
expect_status 0 "$CTSNODE" --home "$T/a" contribution withdraw "par erreur"
refused "$T/a" contribution update "$c1" --date "$(date -d '+3 days' +%Y-%m-%d)"
refused "$T/a" meeting add --body pleniere --date 2020-06-16 --title "Doublon"
assert_contains "$ERR" "--again"
refused "$T/a" meeting add --body bureau --date 2015-12-01 --title "Trop tôt"
refused "$T/a" meeting add --body bureau --date "$(date -d '+2 years' +%Y-%m-%d)" --title "Trop tard"
expect_status 0 "$CTSNODE" --home "$T/a" meeting add --body pleniere --date 2020-06-16 --title "Seconde plénière" --again
m4=$OUT
expect_status 0 "$CTSNODE" --home "$T/a" meeting update "$m4" --title "Seconde plénière"
assert_contains "$OUT" "Rien à changer"
expect_status 0 "$CTSNODE" --home "$T/a" meeting cancel "$m4"
m5=$(cts "$T/a" meeting add --body bureau --date "$(date -d '+1 month' +%Y-%m-%d)" --title "Bureau à venir")
assert_eq "$(cts "$T/a" meeting list --json | jq -r ".[] | select(.id == \"$m5\") | .status")" prevue "réunion à venir prévue"
pass "avis et contributions corrigés, retirés ; contrôles de saisie"

# The report follows, identical on every node.
syncall
J=$(cts "$T/region" report --year 2020 --territory rouen-elbeuf --format json)
t() { jq -c ".territories[0] | $1" <<<"$J"; }
assert_eq "$(t '.meetings')" 2 "réunions comptées (plénière tenue, commission)"
assert_eq "$(t '[.cancelled_meetings[].id] | sort')" "$(jq -cn --arg a "$m2" --arg b "$m4" '[$a, $b] | sort')" "annulées à part"
assert_eq "$(t '.opinions')" 1 "avis retiré non compté"
assert_eq "$(t '[.meeting_list[] | select(.approved)] | length')" 0 "réunion rouverte non marquée"
assert_eq "$(jq '[.checks[] | select(.kind == "outcome_contradicts_votes")] | length' <<<"$J")" 1 "sens contraire aux votes signalé"
assert_eq "$(t '.contributions_by_theme | length')" 0 "contribution reçue en 2019 hors de 2020, retirée non comptée"
J19=$(cts "$T/region" report --year 2019 --territory rouen-elbeuf --format json)
assert_eq "$(jq -c '.territories[0].contributions_by_theme' <<<"$J19")" '{"segur-pilier-1":1}' "datée par sa réception"
expect_status 0 "$CTSNODE" --home "$T/a" meeting approve "$m"
syncall
J=$(cts "$T/region" report --year 2020 --territory rouen-elbeuf --format json)
assert_eq "$(t "[.meeting_list[] | select(.approved) | .id]")" "[\"$m\"]" "réunion approuvée marquée"
cts "$T/region" report --year 2020 --territory rouen-elbeuf --format md -o "$T/r.md" 2>/dev/null
grep -q "(compte rendu approuvé)" "$T/r.md" || fail "marque d'approbation absente du Markdown"
grep -q "Réunions non comptées" "$T/r.md" || fail "réunions annulées absentes du Markdown"
grep -q "Sens de l'avis contraire aux votes" "$T/r.md" || fail "contrôle absent du Markdown"
cts "$T/region" report --year 2020 --territory rouen-elbeuf --format csv -o "$T/r1.csv" 2>/dev/null
cts "$T/b" report --year 2020 --territory rouen-elbeuf --format csv -o "$T/r2.csv" 2>/dev/null
cmp "$T/r1.csv" "$T/r2.csv" || fail "CSV différents entre la région et B"
grep -q $'^Réunions non comptées\r$' "$T/r1.csv" || fail "section des réunions non comptées absente du CSV"
pass "rapport : annulées à part, retirés non comptés, approuvée marquée, date de réception, contrôles"

# Rebuild replays this history of edits to the same digest, on every node.
for h in a b region; do
	before=$(digest "$T/$h")
	cts "$T/$h" rebuild >/dev/null
	assert_eq "$(digest "$T/$h")" "$before" "empreinte après rebuild ($h)"
done
pass "rebuild : même empreinte après un historique plein de corrections"
