#!/usr/bin/env bash
# Benchmark of the web interface (issue 14), never part of the test suite:
#  * page time on a territory with ten years of records (goal: every page
#    under 50 ms), each page asked 30 times (median and worst);
#  * resident memory of the `ctsnode ui` process along 10 000 requests
#    (goal: flat).
# The territory: a roll of 60 members (a third renewed every three years),
# 12 meetings a year over 2015-2024 with an attendance sheet each (45 rows:
# members and guests), 3 opinions per meeting, 20 contributions a year.
#
#   tools/bench/ui.sh [--keep]     results on stdout and in build/bench/ui-<date>.md
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
keep=${1:-}
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j2 --target ctsnode >/dev/null
bin="$root/build/release/ctsnode"
W=$(mktemp -d /tmp/ctsnode-bench-ui-XXXXXX)
trap 'kill "${UI:-0}" 2>/dev/null || true; [ "$keep" = --keep ] || rm -rf "$W"' EXIT
export CTSNODE_KDF_FAST=1
cts() { "$bin" --home "$W/t" "$@"; }

echo "Préparation : dix ans de registres d'un territoire dans $W" >&2
"$bin" --home "$W/r" region init --region bench --node bench-region --no-passphrase >/dev/null
auth=$("$bin" --home "$W/r" key show | awk '{print $1" "$2}')
cts init --territory bench-terr --node bench-poste --authority-key "$auth" --no-passphrase >/dev/null
colleges=(professionnels professionnels professionnels usagers usagers collectivites etat personnes-qualifiees)
bodies=(pleniere pleniere pleniere pleniere bureau bureau bureau bureau bureau sante-mentale sante-mentale usagers)
for i in $(seq 1 90); do
	c=${colleges[$((i % ${#colleges[@]}))]}
	seat=titulaire; [ $((i % 3)) -eq 0 ] && seat=suppleant
	y=$((2015 + (i - 1) / 30 * 3)) # a third of the roll every three years
	cts member add --last-name "NOM$i" --first-name "Prénom$i" --organisation "Structure $i" --college "$c" \
		--seat "$seat" --mandate-start "$y-01-01" --mandate-end "$((y + 3))-12-31" >/dev/null
done
for year in $(seq 2015 2024); do
	first=$(((year - 2015) / 3 * 30 + 1))
	for m in $(seq 1 12); do
		d=$(printf '%d-%02d-%02d' "$year" "$m" $((5 + m)))
		id=$(cts meeting add --body "${bodies[$((m - 1))]}" --date "$d" --title "Séance $m de $year" --place "Salle du conseil")
		{
			echo "NOM;Prénom;Structure;Collège;Présent;Excusé"
			for k in $(seq 0 39); do
				i=$((first + (k + m) % 60))
				[ "$i" -gt 90 ] && i=$((i - 60))
				mark="X;"; [ $(((k + m) % 7)) -eq 0 ] && mark=";X"; [ $(((k + m) % 11)) -eq 0 ] && mark=";"
				echo "NOM$i;Prénom$i;Structure $i;${colleges[$((i % ${#colleges[@]}))]};$mark"
			done
			for g in 1 2 3 4 5; do echo "INVITE$g;Personne;Organisme $g;invite;X;"; done
		} >"$W/sheet.csv"
		cts attendance import --meeting "$id" "$W/sheet.csv" >/dev/null 2>&1 ||
			cts attendance import --meeting "$id" "$W/sheet.csv" --create-missing >/dev/null
		for o in 1 2 3; do
			cts opinion add --meeting "$id" --subject "Avis $o de la séance $m de $year" --for 20 --against 2 --abstain 3 \
				--outcome favorable >/dev/null
		done
		if [ $((m % 3)) -eq 0 ]; then
			for c in 1 2 3 4 5; do
				cts contribution add --theme "segur-pilier-$(((c % 4) + 1))" --title "Proposition $c ($year-$m)" \
					--text "Texte de la proposition $c, séance $m de $year." --meeting "$id" >/dev/null
			done
		fi
	done
done
meeting=$(cts --json meeting list | jq -r '.[-1].id')
member=$(cts --json member list | jq -r '.[0].id')
records="$(cts --json member list | jq length) membres, $(cts --json meeting list | jq length) réunions, $(cts --json opinion list | jq length) avis, $(cts --json contribution list | jq length) contributions"
echo "Territoire prêt : $records" >&2

"$bin" --home "$W/t" ui --no-browser >"$W/ui.out" 2>"$W/ui.err" &
UI=$!
for i in $(seq 1 100); do [ -s "$W/ui.out" ] && break; sleep 0.1; done
url=$(head -1 "$W/ui.out")
base=${url%%/?token=*}
curl -s -c "$W/jar" "$url" >/dev/null

pages=(/ /membres /membres.csv "/membres/$member" /reunions "/reunions?year=2020" "/reunions/$meeting" /avis /avis/nouveau
	/contributions /contributions/nouvelle /conflits "/rapports?year=2020" "/rapports/voir?year=2020"
	"/rapports/telecharger?year=2020&format=csv" /synchroniser)
rss() { awk '/VmRSS/ {print $2}' "/proc/$UI/status"; }

out="$root/build/bench/ui-$(date +%Y%m%d-%H%M%S).md"
mkdir -p "$root/build/bench"
{
	echo "## Interface web : temps par page ($(date +%Y-%m-%d), $(nproc) cœurs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
	echo
	echo "Territoire de dix ans : $records ; chaque page demandée 30 fois (curl, connexion locale), temps en ms."
	echo
	echo "| page | octets | médiane | pire |"
	echo "|---|---|---|---|"
	for p in "${pages[@]}"; do
		times=()
		for i in $(seq 1 30); do
			t=$(curl -s -b "$W/jar" -o "$W/page" -w '%{time_total}' "$base$p")
			times+=("$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')")
		done
		bytes=$(wc -c <"$W/page")
		sorted=$(printf '%s\n' "${times[@]}" | sort -n)
		med=$(sed -n 15p <<<"$sorted")
		worst=$(tail -1 <<<"$sorted")
		echo "| \`$p\` | $bytes | $med | $worst |"
	done
	echo
	echo "## Interface web : mémoire sur 10 000 requêtes"
	echo
	echo "Les pages ci-dessus tour à tour, par lots de 1 000 (curl, connexions réutilisées) ; RSS du processus \`ctsnode ui\` en Kio."
	echo
	echo "| requêtes | RSS (Kio) |"
	echo "|---|---|"
	echo "| 0 | $(rss) |"
	: >"$W/batch"
	for i in $(seq 0 999); do
		printf 'url = "%s%s"\noutput = "/dev/null"\n' "$base" "${pages[$((i % ${#pages[@]}))]}" >>"$W/batch"
	done
	for n in $(seq 1 10); do
		ok=$(curl -s -b "$W/jar" -K "$W/batch" -w '%{http_code}\n' | grep -c '^200$')
		[ "$ok" -eq 1000 ] || echo "(lot $n : $ok réponses 200 sur 1000)" >&2
		echo "| $((n * 1000)) | $(rss) |"
	done
} | tee "$out"
kill -INT "$UI"
wait "$UI" || true
echo "Résultats écrits dans $out" >&2
