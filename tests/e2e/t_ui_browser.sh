#!/usr/bin/env bash
# ctsnode ui in a real browser (Debian's Chromium, headless, driven by
# puppeteer-core from tests/browser, installed by tools/deps.sh): the
# secretary's and the coordinator's journeys, once with the mouse and once
# with the keyboard alone, each page checked by axe-core (0 violation at
# WCAG 2.1 A/AA) and photographed into $CTS_BUILD/ui-shots, each step
# checked against `ctsnode --json`. See tests/browser/journeys.js.
source "$CTS_E2E_LIB"

browser_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../browser" && pwd)
command -v node >/dev/null || fail "node est nécessaire (tools/deps.sh)"
[ -x /usr/bin/chromium ] || fail "chromium est nécessaire (tools/deps.sh)"
[ -d "$browser_dir/node_modules/puppeteer-core" ] && [ -d "$browser_dir/node_modules/axe-core" ] ||
	fail "dépendances du test navigateur absentes : lancez tools/deps.sh (npm ci dans tests/browser)"

export PASS="phrase de passe du poste"
REPO="$T/region.git"
cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
cts "$T/region" region pull >/dev/null # creates the bare regional repository
auth=$(cts "$T/region" key show | awk '{print $1" "$2}')
CTSNODE_PASSPHRASE="$PASS" cts "$T/t1" init --territory le-havre --node le-havre-secretariat --authority-key "$auth" --remote "$REPO" >/dev/null
CTSNODE_PASSPHRASE="$PASS" cts "$T/t2" init --territory rouen-elbeuf --node rouen-elbeuf-secretariat --authority-key "$auth" --remote "$REPO" >/dev/null

# Two devices of Dieppe edit one member's organisation concurrently: a
# conflict to trench in the page.
for p in a:dieppe-poste-a b:dieppe-poste-b; do
	IFS=: read -r h node <<<"$p"
	make_territory "$T/dp-$h" dieppe "$node" "$T/region"
	cts "$T/dp-$h" sync --remote "$REPO" >/dev/null 2>&1 || true
	cts "$T/region" region enroll --node "$node" --territory dieppe --key "$(cts "$T/dp-$h" key show | awk '{print $1" "$2}')" >/dev/null
done
cts "$T/region" region pull >/dev/null
id=$(cts "$T/dp-a" member add --last-name GESLIN --first-name Annie --organisation "UDAF 76" --college usagers)
cts "$T/dp-a" sync >/dev/null
cts "$T/dp-b" sync >/dev/null
cts "$T/dp-a" member update "$id" --organisation "UDAF de Seine-Maritime" >/dev/null
cts "$T/dp-b" member update "$id" --organisation "France Assos Santé" >/dev/null
cts "$T/dp-a" sync >/dev/null; cts "$T/dp-b" sync >/dev/null; cts "$T/dp-a" sync >/dev/null
assert_eq "$(cts "$T/dp-a" conflicts --json | jq length)" 1 "conflit préparé"

shots="${CTS_BUILD:-$T}/ui-shots"
rm -rf "$shots"
CTSNODE="$CTSNODE" DATA="$CTS_TEST_DATA" SHOTS="$shots" REPO="$REPO" REGION="$T/region" T1="$T/t1" T2="$T/t2" DIEPPE="$T/dp-a" \
	timeout 500 node "$browser_dir/journeys.js" || fail "parcours dans le navigateur"
n=$(find "$shots" -name '*.png' | wc -l)
[ "$n" -ge 40 ] || fail "seulement $n captures d'écran"
pass "captures : $n dans $shots"
