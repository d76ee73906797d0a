# Real attendance sheets import to the figures of tests/data/attendance/README.md.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"

make_region "$T/region" normandie region-normandie
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
make_territory "$T/lh" le-havre lh-secretariat "$T/region"

# Rouen-Elbeuf: unknown persons refuse the import without --create-missing.
m=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "CTS Rouen-Elbeuf, séance plénière")
expect_status 1 "$CTSNODE" --home "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv"
assert_contains "$ERR" "ne figurent pas parmi les membres"
assert_contains "$ERR" "ligne 2"
assert_eq "$(cts "$T/re" attendance list --meeting "$m" --json | jq length)" 0 "présences après refus"
assert_eq "$(cts "$T/re" member list --json | jq length)" 0 "membres après refus"

# --dry-run shows the plan and writes nothing.
expect_status 0 "$CTSNODE" --home "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing --dry-run
assert_contains "$OUT" "Simulation"
assert_eq "$(cts "$T/re" member list --json | jq length)" 0 "membres après --dry-run"

cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
L=$(cts "$T/re" attendance list --meeting "$m" --json)
members='[.[] | select(.college != "invite" and .college != "ars")]'
assert_eq "$(jq "$members | length" <<<"$L")" 29 "membres Rouen-Elbeuf"
assert_eq "$(jq "$members | map(select(.status == \"present\")) | length" <<<"$L")" 24 "présents"
assert_eq "$(jq "$members | map(select(.status == \"excused\")) | length" <<<"$L")" 4 "excusés"
assert_eq "$(jq "$members | map(select(.status == \"absent\")) | length" <<<"$L")" 1 "absents"
assert_eq "$(jq '[.[] | select(.college == "invite")] | length' <<<"$L")" 4 "invités"
assert_eq "$(jq '[.[] | select(.college == "ars")] | length' <<<"$L")" 7 "ARS"
assert_eq "$(jq '[.[] | select(.guest)] | map(select(.college == "invite" or .college == "ars")) | length' <<<"$L")" 11 "invités séparés des membres"
assert_eq "$(cts "$T/re" member list --json | jq length)" 29 "membres créés"
for k in last_name first_name organisation college status; do
	assert_eq "$(jq "[.[] | has(\"$k\")] | all" <<<"$L")" true "champ $k"
done
pass "Rouen-Elbeuf : 29 membres (24/4/1), 11 invités (4 + 7 ARS)"

# Importing the same sheet again writes nothing and says so.
before=$(cts "$T/re" status --json)
expect_status 0 "$CTSNODE" --home "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv"
assert_contains "$OUT" "déjà importée pour cette réunion : rien n'a changé"
assert_eq "$(cts "$T/re" attendance list --meeting "$m" --json | jq length)" 40 "lignes après réimport"
assert_eq "$(cts "$T/re" status --json)" "$before" "état après réimport"
assert_eq "$(cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --json | jq .unchanged)" true "unchanged en JSON"
pass "réimport identique : rien d'écrit, et c'est dit"

# Le Havre: the three shapes of the same sheet give identical attendance.
prev=""
for f in le-havre.csv le-havre.excel-windows1252.csv le-havre.utf8-bom-comma.csv le-havre.tab.txt; do
	h="$T/lh-$f"
	make_territory "$h" le-havre lh-secretariat "$T/region"
	m=$(cts "$h" meeting add --body pleniere --date 2020-06-17 --title "CTS Le Havre")
	cts "$h" attendance import --meeting "$m" "$A/$f" --create-missing >/dev/null
	L=$(cts "$h" attendance list --meeting "$m" --json | jq -c 'map(del(.member, .id)) | sort_by(.last_name, .first_name)')
	assert_eq "$(jq "$members | length" <<<"$L")" 18 "membres ($f)"
	assert_eq "$(jq "$members | map(select(.status == \"present\")) | length" <<<"$L")" 15 "présents ($f)"
	assert_eq "$(jq "$members | map(select(.status == \"excused\")) | length" <<<"$L")" 3 "excusés ($f)"
	assert_eq "$(jq "$members | map(select(.status == \"absent\")) | length" <<<"$L")" 0 "absents ($f)"
	assert_eq "$(jq '[.[] | select(.guest)] | length' <<<"$L")" 10 "invités ($f)"
	if [ -n "$prev" ]; then assert_eq "$L" "$prev" "présences identiques ($f)"; fi
	prev=$L
done
pass "Le Havre : quatre formats (dont tabulations), mêmes présences (18 : 15/3/0, 10 invités)"

# Matching by name ignores accents and case.
h="$T/lh2"
make_territory "$h" le-havre lh-2 "$T/region"
first=$(sed -n 2p "$A/le-havre.csv")
ln=$(cut -d';' -f1 <<<"$first"); fn=$(cut -d';' -f2 <<<"$first")
cts "$h" member add --last-name "$(tr '[:upper:]' '[:lower:]' <<<"$ln")" --first-name "$fn" --organisation X --college professionnels >/dev/null
m=$(cts "$h" meeting add --body pleniere --date 2020-06-17 --title "CTS Le Havre")
cts "$h" attendance import --meeting "$m" "$A/le-havre.csv" --create-missing >/dev/null
assert_eq "$(cts "$h" member list --json | jq length)" 18 "membre existant reconnu"
pass "rapprochement par nom"
