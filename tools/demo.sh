#!/usr/bin/env bash
# Démonstration de bout en bout : une région et trois territoires (dont un
# avec deux postes) dans un dossier temporaire, synchronisés par un dépôt git
# nu local ; vraies feuilles de présence ; rapport et audit à la fin.
# Installe les paquets Debian manquants et construit ctsnode au besoin.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# The test suite runs it with a built binary (CTSNODE_DEMO_BIN) and its own
# folder (CTSNODE_DEMO_DIR): no install, no build.
if [ -n "${CTSNODE_DEMO_BIN:-}" ]; then
	bin=$CTSNODE_DEMO_BIN
else
	tools/deps.sh
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/release -j"$(nproc 2>/dev/null || echo 2)" --target ctsnode >/dev/null
	bin="$root/build/release/ctsnode"
fi
data="$root/tests/data/attendance"

D=${CTSNODE_DEMO_DIR:-$(mktemp -d /tmp/ctsnode-demo-XXXXXX)}
repo="$D/region.git"
say() { printf '\n== %s\n' "$*"; }
cts() { local h=$1; shift; "$bin" --home "$D/$h" "$@"; }

say "Nœud régional (Normandie) et dépôt régional $repo"
cts region region init --region normandie --node region-normandie --remote "$repo" --no-passphrase
auth=$(cts region key show | awk '{print $1" "$2}')

say "Postes des territoires"
cts re1 init --territory rouen-elbeuf --node rouen-elbeuf-secretariat --authority-key "$auth" --remote "$repo" --no-passphrase
cts re2 init --territory rouen-elbeuf --node rouen-elbeuf-portable --authority-key "$auth" --remote "$repo" --no-passphrase
cts lh  init --territory le-havre --node le-havre-secretariat --authority-key "$auth" --remote "$repo" --no-passphrase
cts dp  init --territory dieppe --node dieppe-secretariat --authority-key "$auth" --remote "$repo" --no-passphrase

say "Inscription des postes par le coordinateur"
for p in re1:rouen-elbeuf-secretariat:rouen-elbeuf re2:rouen-elbeuf-portable:rouen-elbeuf \
         lh:le-havre-secretariat:le-havre dp:dieppe-secretariat:dieppe; do
	IFS=: read -r h node terr <<<"$p"
	cts region region enroll --node "$node" --territory "$terr" --key "$(cts "$h" key show | awk '{print $1" "$2}')"
done
cts region region pull

say "Rouen-Elbeuf : séance plénière du 16 juin 2020"
m=$(cts re1 meeting add --body pleniere --date 2020-06-16 --title "Consultation Ségur de la santé")
cts re1 attendance import --meeting "$m" "$data/rouen-elbeuf.csv" --create-missing
cts re1 opinion add --meeting "$m" --subject "Diagnostic territorial partagé en santé mentale" --for 20 --against 1 --abstain 3 --outcome favorable
cts re1 contribution add --theme segur-pilier-4 --title "Coordination ville-hôpital" --text "Renforcer les communautés professionnelles territoriales de santé." --meeting "$m"

say "Le Havre : séance plénière du 17 juin 2020 (feuille enregistrée par Excel)"
m=$(cts lh meeting add --body pleniere --date 2020-06-17 --title "Consultation Ségur de la santé")
cts lh attendance import --meeting "$m" "$data/le-havre.excel-windows1252.csv" --create-missing
cts lh opinion add --meeting "$m" --subject "Projet territorial de santé mentale" --for 12 --against 0 --abstain 3 --outcome reserve
cts lh contribution add --theme segur-pilier-1 --title "Attractivité des métiers" --text "Logements pour les internes et les soignants." --meeting "$m"

say "Dieppe : bureau"
cts dp member add --last-name DURAND --first-name Claire --organisation "France Assos Santé" --college usagers
cts dp member add --last-name LEROY --first-name Marc --organisation "Mairie de Dieppe" --college collectivites
m=$(cts dp meeting add --body bureau --date 2020-06-18 --title "Bureau du CTS")
cts dp contribution add --theme segur-pilier-3 --title "Simplifier" --text "Un guichet unique pour les professionnels." --meeting "$m"

say "Synchronisation des postes"
for h in re1 lh dp; do cts "$h" sync; done
say "Second poste de Rouen-Elbeuf : il retrouve le travail du premier"
cts re2 sync
cts re2 contribution add --theme segur-pilier-2 --title "Investir dans les EHPAD" --text "Moderniser les établissements."
cts re2 sync

say "Nœud régional : import de tous les territoires, point de contrôle signé"
cts region region pull
for h in re1 re2 lh dp; do cts "$h" sync >/dev/null; done
cts region region pull >/dev/null

say "Empreintes du contenu : chaque poste de territoire garde son territoire, égal à celui de la région"
for h in re1 re2 lh dp; do
	t=$(cts "$h" status --json | jq -r '.territory_digests | keys[0]')
	d=$(cts "$h" status --json | jq -r --arg t "$t" '.territory_digests[$t]')
	r=$(cts region status --json | jq -r --arg t "$t" '.territory_digests[$t]')
	printf '  %-4s %-13s %s\n' "$h" "$t" "$d"
	[ -n "$d" ] && [ "$d" != null ] && [ "$d" == "$r" ] ||
		{ echo "ÉCHEC : le poste $h et la région divergent sur le territoire $t" >&2; exit 1; }
done

if "$bin" report --help >/dev/null 2>&1; then
	say "Rapport régional 2020"
	cts region report --year 2020 --format md -o "$D/rapport-2020.md"
	sed -n 1,40p "$D/rapport-2020.md"
fi
if "$bin" audit --help >/dev/null 2>&1; then
	say "Audit du dépôt régional"
	"$bin" audit "$repo"
fi
say "Démonstration terminée : tout est dans $D"
cat <<EOF

Pour ouvrir l'interface web du coordinateur sur le nœud régional de la démonstration :

  $bin --home $D/region ui

(l'adresse à ouvrir s'affiche sur la première ligne ; Ctrl-C pour arrêter). Celle du secrétariat du Havre :

  $bin --home $D/lh ui
EOF
