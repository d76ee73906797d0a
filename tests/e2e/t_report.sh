# Regional reports: the real June 2020 sheets give the expected figures;
# HTML renders in headless Chromium with charts; CSV reads back in
# Excel style; two nodes with the same history produce identical JSON and
# CSV; every domain problem is listed; publication on the region branch.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
make_territory "$T/lh" le-havre lh-secretariat "$T/region"
for p in re:re-secretariat:rouen-elbeuf lh:lh-secretariat:le-havre; do
	IFS=: read -r h node terr <<<"$p"
	cts "$T/region" region enroll --node "$node" --territory "$terr" --key "$(cts "$T/$h" key show | awk '{print $1" "$2}')" >/dev/null
done
cts "$T/region" region pull >/dev/null
m1=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "CTS Rouen-Elbeuf")
cts "$T/re" attendance import --meeting "$m1" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
cts "$T/re" opinion add --meeting "$m1" --subject "Diagnostic territorial en santé mentale" --for 20 --against 1 --abstain 3 --outcome favorable >/dev/null
m2=$(cts "$T/lh" meeting add --body pleniere --date 2020-06-17 --title "CTS Le Havre")
cts "$T/lh" attendance import --meeting "$m2" "$A/le-havre.csv" --create-missing >/dev/null
cts "$T/lh" contribution add --theme segur-pilier-1 --title "Attractivité" --text "Logements" --meeting "$m2" >/dev/null
for h in re lh; do cts "$T/$h" sync --remote "$REPO" >/dev/null; done
cts "$T/region" region pull >/dev/null
for h in re lh; do cts "$T/$h" sync >/dev/null; done

J=$(cts "$T/region" report --year 2020 --format json)
for k in period heads region territories; do assert_eq "$(jq "has(\"$k\")" <<<"$J")" true "membre $k"; done
t() { jq -c ".territories[] | select(.code == \"$1\") | [.members, .present, .excused, .absent, .guests]" <<<"$J"; }
assert_eq "$(t rouen-elbeuf)" "[29,24,4,1,11]" "Rouen-Elbeuf"
assert_eq "$(t le-havre)" "[18,15,3,0,10]" "Le Havre"
assert_eq "$(jq -c '.region | [.members, .present, .excused, .absent, .guests, .meetings, .territories]' <<<"$J")" "[47,39,7,1,21,2,2]" "région"
# Per-college figures straight from the sheets.
for spec in rouen-elbeuf:rouen-elbeuf.csv le-havre:le-havre.csv; do
	code=${spec%%:*}; f=${spec##*:}
	for col in professionnels usagers collectivites etat personnes-qualifiees; do
		want=$(awk -F';' -v c="$col" 'NR>1 && $4==c {m++; if($5=="X")p++; else if($6=="X")e++; else a++} END {printf "[%d,%d,%d,%d]", m, p, e, a}' "$A/$f")
		got=$(jq -c ".territories[] | select(.code == \"$code\") | .by_college[\"$col\"] | [.members, .present, .excused, .absent]" <<<"$J")
		assert_eq "$got" "$want" "$code / $col"
		sum=$(jq -c "[.territories[] | .by_college[\"$col\"].members] | add" <<<"$J")
		assert_eq "$(jq -c ".region.by_college[\"$col\"].members" <<<"$J")" "$sum" "région / $col"
	done
done
assert_eq "$(jq -r '.heads["re-secretariat"].id' <<<"$J")" "$(sha256sum "$(xdir "$T/re")/changesets/re-secretariat/$(printf '%012d' "$(cts "$T/re" status --json | jq .last_seq)").json" | cut -d' ' -f1)" "tête nommée"
pass "JSON : chiffres exacts des feuilles réelles, totaux de la région"

# Two nodes with the same history: byte-identical JSON and CSV.
cts "$T/region" report --year 2020 --territory le-havre --format json -o "$T/r1.json" 2>/dev/null
cts "$T/lh" report --year 2020 --territory le-havre --format json -o "$T/r2.json" 2>/dev/null
# A territory's device holds only its territory's and the authority's
# history (issue 16 point 7): it names fewer heads than the region, the same
# ones for the nodes it holds, and the rest is identical.
same_but_heads() { # REGION-JSON TERRITORY-JSON WHAT
	assert_eq "$(jq -cS 'del(.heads)' "$1")" "$(jq -cS 'del(.heads)' "$2")" "$3"
	assert_eq "$(jq -cS --slurpfile t "$2" '.heads | with_entries(select(.key as $k | $t[0].heads | has($k)))' "$1")" \
		"$(jq -cS .heads "$2")" "$3 : têtes"
}
same_but_heads "$T/r1.json" "$T/r2.json" "JSON entre la région et le territoire"
cts "$T/region" report --year 2020 --territory le-havre --format csv -o "$T/r1.csv" 2>/dev/null
cts "$T/lh" report --year 2020 --territory le-havre --format csv -o "$T/r2.csv" 2>/dev/null
# The CSV: the same lines, the region's adding the heads of the other territories' nodes.
assert_eq "$(grep -vxFf "$T/r1.csv" "$T/r2.csv" || true)" "" "CSV du territoire : rien que la région n'ait"
assert_eq "$(grep -vxFf "$T/r2.csv" "$T/r1.csv" | cut -d';' -f1 | sort | tr '\n' ' ' || true)" \
	"$(jq -r --slurpfile t "$T/r2.json" '.heads | keys - ($t[0].heads | keys) | sort | map(. + " ") | add // ""' "$T/r1.json")" \
	"CSV de la région : en plus, les têtes des autres territoires"
cts "$T/re" report --year 2020 --territory rouen-elbeuf --format json -o "$T/r3.json" 2>/dev/null
cts "$T/region" report --year 2020 --territory rouen-elbeuf --format json -o "$T/r4.json" 2>/dev/null
same_but_heads "$T/r4.json" "$T/r3.json" "JSON (Rouen-Elbeuf)"
grep -q generated_at "$T/r1.json" && fail "heure de production sans --generated-at"
pass "même historique du territoire : JSON et CSV identiques aux têtes des autres territoires près"

# CSV as a spreadsheet reads it: BOM, ';', decimal comma, French headers.
cts "$T/region" report --year 2020 --format csv -o "$T/r.csv" 2>/dev/null
[ "$(head -c 3 "$T/r.csv" | od -An -tx1 | tr -d ' ')" = "efbbbf" ] || fail "BOM absent"
grep -q $'^Territoire;Réunions;Sièges convoqués;Présents;Excusés;Absents;Invités;dont ARS;Taux de présence (%);Réunions avec quorum;Avis\r$' "$T/r.csv" || fail "en-têtes français absents"
row=$(grep $'^Région;' "$T/r.csv" | head -1 | tr -d '\r')
IFS=';' read -r _ meetings members present excused absent guests ars ratec quorum opinions <<<"$row"
assert_eq "$members;$present;$excused;$absent;$guests" "$(jq -r '.region | "\(.members);\(.present);\(.excused);\(.absent);\(.guests)"' <<<"$J")" "CSV relu"
want_rate=$(jq -r '.region.attendance_rate' <<<"$J" | awk '{printf "%.1f", $1}' | tr . ,)
assert_eq "$ratec" "$want_rate" "taux avec virgule décimale"
row=$(grep $'^rouen-elbeuf;usagers;' "$T/r.csv" | tr -d '\r')
assert_eq "$(cut -d';' -f3-6 <<<"$row")" "$(jq -r '.territories[] | select(.code == "rouen-elbeuf") | .by_college.usagers | "\(.members);\(.present);\(.excused);\(.absent)"' <<<"$J")" "CSV par collège"
pass "CSV : BOM, « ; », virgule décimale, en-têtes français, chiffres du JSON"

# HTML in a real browser.
cts "$T/region" report --year 2020 --format html -o "$T/r.html" 2>/dev/null
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --disable-quic \
		--user-data-dir="$T/chrome" --enable-logging=stderr --v=0 "$@"
}
chrome --dump-dom "file://$T/r.html" >"$T/dom.html" 2>"$T/chrome.log" || { cat "$T/chrome.log"; fail "chromium n'a pas rendu la page"; }
grep -E 'CONSOLE|Uncaught' "$T/chrome.log" && fail "erreurs de console dans la page"
[ "$(grep -o '<svg class="chart"' "$T/dom.html" | wc -l)" -ge 2 ] || fail "graphiques absents du rendu"
grep -q '<rect class="bar"' "$T/dom.html" || fail "barres absentes"
grep -q 'Taux de présence par collège' "$T/dom.html" || fail "titre du graphique absent"
chrome --screenshot="$T/shot.png" --window-size=1200,1600 "file://$T/r.html" 2>>"$T/chrome.log" >/dev/null
[ -s "$T/shot.png" ] || fail "pas de capture d'écran"
python3 - "$T/shot.png" <<'PY' || fail "capture d'écran vide"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT": idat += body
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[ctype]
stride = w * bpp + 1
# count rows that are not uniformly one colour (ignoring PNG filters: a blank page compresses to identical rows)
rows = [raw[y * stride + 1:(y + 1) * stride] for y in range(h)]
distinct = len(set(rows))
print("lignes distinctes :", distinct)
sys.exit(0 if distinct > 50 else 1)
PY
pass "HTML : rendu par Chromium sans erreur, graphiques présents, capture non vide"

# Domain checks: each problem listed.
cts "$T/re" member add --last-name ANCIEN --first-name Mandat --organisation X --college usagers --mandate-end 2020-01-31 >/dev/null
m3=$(cts "$T/re" meeting add --body bureau --date 2020-09-01 --title "Bureau sans feuille")
m4=$(cts "$T/re" meeting add --body sante-mentale --date 2020-10-01 --title "Commission")
cts "$T/re" opinion add --meeting "$m4" --subject "Avis trop voté" --for 5 --against 0 --abstain 0 --outcome favorable >/dev/null
printf 'NOM;Prénom;Structure;Collège;Présent;Excusé\nANCIEN;Mandat;X;usagers;X;\nALBY;Jérôme;A;professionnels;;X\nBRIDIER;Sandrine;B;professionnels;;\n' >"$T/small.csv"
cts "$T/re" attendance import --meeting "$m4" "$T/small.csv" >/dev/null
cts "$T/re" sync >/dev/null
seq=$(( $(cts "$T/re" status --json | jq .last_seq) + 1 ))
hlc=$(printf '%012x0000' "$(date -u -d 2020-11-01 +%s)000")
printf '[{"hlc":"%s","op":"put","table":"contribution","id":"0b6a3c1e-1111-4c1e-9a51-0000000000c1","set":{"theme":"theme-inconnu","title":"Hors thème","text":"x"}}]' "$hlc" >"$T/ops.json"
"$CTS_CRAFT" --key "$T/re/node.key" --node re-secretariat --territory rouen-elbeuf --seq "$seq" \
	--prev-from "$(xdir "$T/re")/changesets/re-secretariat/$(printf '%012d' $((seq - 1))).json" --ops "$T/ops.json" --out "$T/craft" >/dev/null
cts "$T/region" region pull >/dev/null
cts "$T/region" import "$T/craft" >/dev/null
K=$(cts "$T/region" report --year 2020 --format json | jq -c '[.checks[].kind] | unique')
for kind in votes_exceed_present meeting_without_attendance opinion_without_quorum member_past_mandate unknown_theme; do
	assert_contains "$K" "\"$kind\"" "contrôle $kind"
done
cts "$T/region" report --year 2020 --format md -o "$T/r.md" 2>/dev/null
for label in "Votes supérieurs aux présents" "Réunion sans feuille de présence" "Avis rendu sans quorum" \
	     "Membre siégeant après la fin de son mandat" "Contribution au thème inconnu"; do
	grep -q "$label" "$T/r.md" || fail "rapport Markdown sans « $label »"
done
pass "contrôles : chaque anomalie est listée"

# Publication on the region branch, signed.
expect_status 0 "$CTSNODE" --home "$T/region" region publish --year 2020
for f in rapport.json rapport.md rapport.html rapport.csv; do
	git --git-dir="$REPO" cat-file -e "region:reports/2020/$f" || fail "reports/2020/$f absent"
done
git --git-dir="$REPO" show region:allowed_signers >"$T/as"
git --git-dir="$REPO" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/as" verify-commit region 2>/dev/null ||
	fail "commit de publication non signé"
git --git-dir="$REPO" show region:reports/2020/rapport.json | jq -e '.region.members > 0' >/dev/null
pass "publication signée sous reports/2020/"
# `report` writes as it computes (cts_report_write); `region publish` builds
# the document and renders it: the same bytes in every format.
for f in json md html csv; do
	cts "$T/region" report --year 2020 --format "$f" >"$T/stream.$f"
	git --git-dir="$REPO" show "region:reports/2020/rapport.$f" >"$T/built.$f"
	cmp -s "$T/stream.$f" "$T/built.$f" || fail "rapport $f écrit au fil du calcul différent du rapport construit"
done
pass "rapport écrit au fil du calcul identique au rapport construit (4 formats)"
