# A malformed sheet is refused with the line named, and the database is
# byte-for-byte unchanged.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"

make_region "$T/region" normandie region-normandie
make_territory "$T/n" rouen-elbeuf re-secretariat "$T/region"
m=$(cts "$T/n" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/n" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null

hdr='NOM;Prénom;Structure;Collège;Présent;Excusé'
printf '%s\nALBY;Jérôme;A;professionnels;X;\nDUPONT;Jean;B;astronautes;X;\n' "$hdr" >"$T/college.csv"
printf '%s\nALBY;Jérôme;A;professionnels;X;\nDUPONT;Jean;B;usagers;X;X\n' "$hdr" >"$T/both.csv"
printf '%s\nALBY;Jérôme;A;professionnels;X;\n"DUPONT;Jean;B;usagers;X;\n' "$hdr" >"$T/quote.csv"
printf '%s\nALBY;Jérôme;A;professionnels;X;\nDUPONT;Je\x81an;B;usagers;X;\n' "$hdr" >"$T/utf8.csv"
# A write that fails on the last row: an organisation too long for a member.
long=$(printf 'x%.0s' $(seq 1 450))
printf '%s\nNOUVEAU;Un;A;professionnels;X;\nNOUVEAU;Deux;%s;usagers;X;\n' "$hdr" "$long" >"$T/lastrow.csv"

sum() { sha256sum "$T/n/node.db" | cut -d' ' -f1; }
for case in college:3 both:3 quote:3 utf8:3 lastrow:3; do
	f=${case%%:*}; line=${case##*:}
	before=$(sum)
	pending=$(cts "$T/n" status --json | jq .pending_ops)
	expect_status 1 "$CTSNODE" --home "$T/n" attendance import --meeting "$m" "$T/$f.csv" --create-missing
	assert_contains "$ERR" "ligne $line" "message pour $f"
	assert_eq "$(sum)" "$before" "base après la feuille $f"
	assert_eq "$(cts "$T/n" status --json | jq .pending_ops)" "$pending" "journal après la feuille $f"
	pass "feuille $f refusée (ligne $line), base inchangée"
done
assert_eq "$(cts "$T/n" member list --json | jq length)" 29 "aucun membre créé par les feuilles refusées"
