# Signed changesets exchanged by folder (`import DIR`): chains, forks,
# authorisation, revocation, pending enrolment, clock safety, rebuild,
# and stock ssh-keygen on every file.
. "$CTS_E2E_LIB"

R="$T/region"; A="$T/a"; B="$T/b"; C="$T/c"
make_region "$R" normandie region-normandie
make_territory "$A" rouen-elbeuf re-1 "$R"
make_territory "$B" rouen-elbeuf re-2 "$R"
make_territory "$C" le-havre lh-1 "$R"
keyof() { cts "$1" key show | awk '{print $1" "$2}'; }

# A works before being enrolled: B keeps A's changesets pending, not lost.
cts "$A" member add --last-name GESLIN --first-name Annie --organisation "UDAF 76" --college usagers >/dev/null
cts "$A" seal >/dev/null
expect_status 0 "$CTSNODE" --home "$B" import "$(xdir "$A")"
st=$(cts "$B" status --json)
assert_eq "$(jq '.pending | length' <<<"$st")" 1 "changesets en attente chez B"
assert_contains "$(jq -r '.pending[0].reason' <<<"$st")" "pas encore inscrit"
pass "nœud non inscrit : changeset en attente"

for n in "$A:re-1:rouen-elbeuf" "$B:re-2:rouen-elbeuf" "$C:lh-1:le-havre"; do
	IFS=: read -r h id terr <<<"$n"
	cts "$R" region enroll --node "$id" --territory "$terr" --key "$(keyof "$h")" >/dev/null
done
cts "$R" seal >/dev/null
expect_status 0 "$CTSNODE" --home "$B" import "$(xdir "$R")"
st=$(cts "$B" status --json)
assert_eq "$(jq '.pending | length' <<<"$st")" 0 "en attente après inscription"
assert_eq "$(cts "$B" member list --json | jq length)" 1 "membre de A appliqué chez B"
pass "inscription reçue : le changeset en attente s'applique"

# Chains: a gap holds successors until the missing one arrives.
for i in 1 2 3; do
	cts "$C" member add --last-name "NOM$i" --first-name P --organisation S --college etat >/dev/null
	cts "$C" seal >/dev/null
done
D="$T/drop"
cts "$A" import "$(xdir "$R")" >/dev/null
drop_changeset "$C" lh-1 1 "$D"; drop_changeset "$C" lh-1 3 "$D"
cts "$A" import "$D" >/dev/null
st=$(cts "$A" status --json)
assert_eq "$(jq '[.pending[] | select(.node == "lh-1")] | length' <<<"$st")" 1 "n°3 en attente"
assert_contains "$(jq -r '.pending[0].reason' <<<"$st")" "n°2"
assert_eq "$(cts "$A" member list --territory le-havre --json | jq length)" 1 "seul le n°1 appliqué"
drop_changeset "$C" lh-1 2 "$D"
cts "$A" import "$D" >/dev/null
assert_eq "$(cts "$A" status --json | jq '.pending | length')" 0 "plus rien en attente"
assert_eq "$(cts "$A" member list --territory le-havre --json | jq length)" 3 "n°2 et n°3 appliqués"
pass "trou dans la chaîne : les suivants attendent puis s'appliquent"

# Importing twice changes nothing.
d1=$(cts "$A" status --json | jq -r .content_digest)
cts "$A" import "$D" >/dev/null
cts "$A" import "$(xdir "$C")" >/dev/null
assert_eq "$(cts "$A" status --json | jq -r .content_digest)" "$d1" "empreinte après double import"
pass "idempotence"

# Every changeset so far verifies with stock ssh-keygen and the registry's allowed_signers.
signers_of "$R" >"$T/allowed_signers"
for h in "$A" "$C" "$R"; do verify_all_with_ssh_keygen "$(xdir "$h")" "$T/allowed_signers" >/dev/null; done
pass "ssh-keygen -Y verify accepte chaque changeset"

# A tampered copy (one byte) is refused with its reason, nothing applied.
X="$T/tamper"
drop_changeset "$C" lh-1 3 "$X"
sed -i 's/NOM3/NOM9/' "$X/changesets/lh-1/000000000003.json"
make_territory "$T/fresh" le-havre lh-9 "$R"
cts "$T/fresh" import "$(xdir "$R")" >/dev/null
cts "$T/fresh" import "$T/tamper" >/dev/null || true
drop_changeset "$C" lh-1 1 "$T/fresh-in"; drop_changeset "$C" lh-1 2 "$T/fresh-in"
cts "$T/fresh" import "$T/fresh-in" >/dev/null || true
st=$(cts "$T/fresh" status --json)
assert_eq "$(jq '.refused | length' <<<"$st")" 1 "changeset falsifié refusé"
assert_contains "$(jq -r '.refused[0].reason' <<<"$st")" "signature invalide"
ssh-keygen -Y verify -f "$T/allowed_signers" -I lh-1 -n cts-changeset -s "$X/changesets/lh-1/000000000003.json.sig" \
	<"$X/changesets/lh-1/000000000003.json" >/dev/null 2>&1 && fail "ssh-keygen accepte un fichier falsifié"
pass "octet modifié : refusé (ctsnode et ssh-keygen)"

# ---- Hostile changesets crafted with a node's own key (cts_craft) ----
: "${CTS_CRAFT:?}"
# A fresh enrolled node per scenario: NAME TERRITORY -> home in $T/NAME
hostile() {
	make_territory "$T/$1" "$2" "$1" "$R"
	cts "$R" region enroll --node "$1" --territory "$2" --key "$(keyof "$T/$1")" >/dev/null
	cts "$R" seal >/dev/null
	cts "$A" import "$(xdir "$R")" >/dev/null
}
craft() { # NODE TERRITORY SEQ OPS_JSON OUTDIR [extra args]
	local node=$1 terr=$2 seq=$3 ops=$4 out=$5; shift 5
	printf '%s' "$ops" >"$T/ops.json"
	"$CTS_CRAFT" --key "$T/$node/node.key" --node "$node" --territory "$terr" --seq "$seq" \
		--ops "$T/ops.json" --out "$out" "$@" >/dev/null
}
uuid=0b6a3c1e-1111-4c1e-9a51-00000000abcd
now_hlc=$(printf '%012x0000' "$(($(date +%s) * 1000))")
# put_member NAME [ID]: each scenario uses its own record id, so that
# winners of one scenario do not mask another's.
put_member() { printf '{"hlc":"%s","op":"put","table":"member","id":"%s","set":{"last_name":"%s"}}' "$now_hlc" "${2:-$uuid}" "$1"; }

# (a) a territory node writes the registry (authority data): refused as a whole.
hostile evil-a rouen-elbeuf
craft evil-a rouen-elbeuf 1 "[$(put_member OK),{\"hlc\":\"$now_hlc\",\"op\":\"put\",\"table\":\"registry\",\"id\":\"$uuid\",\"set\":{\"node\":\"evil\"}}]" "$T/in-a"
expect_status 1 "$CTSNODE" --home "$A" import "$T/in-a"
assert_eq "$(cts "$A" member list --json | jq '[.[] | select(.last_name == "OK")] | length')" 0 "rien appliqué du changeset refusé"
assert_contains "$(cts "$A" status --json | jq -r '.refused[] | select(.node == "evil-a") | .reason')" "réservée à la région"
pass "territoire écrivant le registre : refusé en entier, raison donnée"

# (b) a territory node claims another territory's records: refused.
hostile evil-b rouen-elbeuf
craft evil-b le-havre 1 "[{\"hlc\":\"$now_hlc\",\"op\":\"del\",\"table\":\"member\",\"id\":\"$uuid\"}]" "$T/in-b"
expect_status 1 "$CTSNODE" --home "$A" import "$T/in-b"
assert_contains "$(cts "$A" status --json | jq -r '.refused[] | select(.node == "evil-b") | .reason')" "territoire"
pass "écriture dans un autre territoire : refusée"

# (c) revocation: changesets after --after-seq are refused, earlier ones kept.
for i in 1 2; do
	cts "$C" member add --last-name "APRES$i" --first-name P --organisation S --college etat >/dev/null
	cts "$C" seal >/dev/null
done   # lh-1 now has seq 4 and 5
cts "$R" region revoke --node lh-1 --after-seq 4 >/dev/null
cts "$R" seal >/dev/null
make_territory "$T/v" le-havre lh-8 "$R"
cts "$T/v" import "$(xdir "$R")" >/dev/null
# Ignored as expected (issue 16): not a refusal to act on, exit 0.
expect_status 0 "$CTSNODE" --home "$T/v" import "$(xdir "$C")" --json
assert_eq "$(jq -r '.events[] | select(.node == "lh-1" and .seq == 5) | .state' <<<"$OUT")" ignored "n°5 ignoré"
assert_eq "$(cts "$T/v" member list --territory le-havre --json | jq length)" 4 "membres jusqu'au n°4"
assert_eq "$(cts "$T/v" status --json | jq -c '[.ignored[] | select(.node == "lh-1") | .first, .last]')" "[5,5]" "ignorés"
assert_eq "$(cts "$T/v" status --json | jq '.refused | length')" 0 "refus"
# A node that applied n°5 before the revocation arrived replays and drops it.
cts "$A" import "$(xdir "$C")" >/dev/null
assert_eq "$(cts "$A" member list --territory le-havre --json | jq length)" 5 "avant la révocation"
# (exit 1: the replay reports evil-a's and evil-b's refusals again)
expect_status 1 "$CTSNODE" --home "$A" import "$(xdir "$R")"
grep -q "lh-1 n°5" <<<"$OUT" && fail "n°5 ignoré affiché comme une attente ou un refus : $OUT"
assert_eq "$(cts "$A" member list --territory le-havre --json | jq -c 'map(.last_name) | sort')" \
	"$(cts "$T/v" member list --territory le-havre --json | jq -c 'map(.last_name) | sort')" "mêmes membres, quel que soit l'ordre"
assert_eq "$(cts "$A" status --json | jq -c '[.ignored[] | select(.node == "lh-1") | .first, .last]')" "[5,5]" "ignorés"
pass "révocation : n°5 ignoré partout (sans code 1), même après coup"

# (d) future HLC: held, not applied; applied once the clock catches up.
hostile evil-d rouen-elbeuf
far_ms=$((($(date +%s) + 3 * 86400) * 1000))
far=$(printf '%012x0000' "$far_ms")
craft evil-d rouen-elbeuf 1 "[{\"hlc\":\"$far\",\"op\":\"put\",\"table\":\"member\",\"id\":\"$uuid\",\"set\":{\"last_name\":\"FUTUR\"}}]" "$T/in-d"
cts "$A" import "$T/in-d" >/dev/null
assert_eq "$(cts "$A" status --json | jq '[.held[] | select(.node == "evil-d")] | length')" 1 "changeset retenu"
assert_eq "$(cts "$A" member list --json | jq '[.[] | select(.last_name == "FUTUR")] | length')" 0 "non appliqué"
CTSNODE_TEST_CLOCK_MS=$far_ms cts "$A" import "$T/in-d" >/dev/null
assert_eq "$(cts "$A" member list --json | jq '[.[] | select(.last_name == "FUTUR")] | length')" 1 "appliqué plus tard"
pass "horloge en avance de plus de 24 h : retenu puis appliqué"

# (e) fork: two different changesets with one (node, seq) are both refused,
# even when one of them had already been applied.
hostile evil-e rouen-elbeuf
uuid_e=0b6a3c1e-1111-4c1e-9a51-00000000eeee
craft evil-e rouen-elbeuf 1 "[$(put_member UN $uuid_e)]" "$T/in-e1"
craft evil-e rouen-elbeuf 1 "[$(put_member DEUX $uuid_e)]" "$T/in-e2"
cts "$A" import "$T/in-e1" >/dev/null
assert_eq "$(cts "$A" member list --json | jq '[.[] | select(.last_name == "UN")] | length')" 1 "première version appliquée"
expect_status 1 "$CTSNODE" --home "$A" import "$T/in-e2"
st=$(cts "$A" status --json)
assert_eq "$(jq '[.refused[] | select(.node == "evil-e" and (.reason | contains("bifurcation")))] | length' <<<"$st")" 2 "les deux versions refusées"
assert_eq "$(cts "$A" member list --json | jq '[.[] | select(.last_name == "UN" or .last_name == "DEUX")] | length')" 0 "aucune version appliquée"
pass "bifurcation : les deux refusées et signalées"

# (f) atomicity: a changeset whose last op is invalid leaves no trace.
hostile evil-f rouen-elbeuf
printf '[%s,{"hlc":"%s","op":"put","table":"member","id":"%s","set":{"shoe_size":42}}]' "$(put_member ATOME 0b6a3c1e-1111-4c1e-9a51-00000000ffff)" "$now_hlc" "$uuid" >"$T/bad.json"
# canonical bytes (jq -cS sorts keys, compact) so that only the op is wrong
jq -cS --argjson ops "$(cat "$T/bad.json")" -n \
	'{v:1,node:"evil-f",territory:"rouen-elbeuf",seq:1,prev:null,time:"2026-01-01T00:00:00Z",seen:{},ops:$ops}' >"$T/bad-cs.json"
"$CTS_CRAFT" --key "$T/evil-f/node.key" --node evil-f --seq 1 --raw "$T/bad-cs.json" --out "$T/in-f" >/dev/null
expect_status 1 "$CTSNODE" --home "$A" import "$T/in-f"
assert_contains "$(cts "$A" status --json | jq -r '.refused[] | select(.node == "evil-f") | .reason')" "shoe_size"
assert_eq "$(cts "$A" member list --json | jq '[.[] | select(.last_name == "ATOME")] | length')" 0 "première opération non appliquée"
pass "dernière opération invalide : aucune trace"

# (g) non-canonical but validly signed JSON: refused.
hostile evil-g rouen-elbeuf
printf '{"v":1,"node":"evil-g","territory":"rouen-elbeuf","seq":1,"prev":null,"time":"2026-01-01T00:00:00Z","seen":{},"ops":[%s]}\n' "$(put_member NONCANON 0b6a3c1e-1111-4c1e-9a51-000000009999)" >"$T/nc.json"
"$CTS_CRAFT" --key "$T/evil-g/node.key" --node evil-g --seq 1 --raw "$T/nc.json" --out "$T/in-g" >/dev/null
expect_status 1 "$CTSNODE" --home "$A" import "$T/in-g"
assert_contains "$(cts "$A" status --json | jq -r '.refused[] | select(.node == "evil-g") | .reason')" "canonique"
pass "JSON non canonique (signature valide) : refusé"

# (h) domain values (src/rules.c): a changeset signed by an enrolled node
# whose values break the rules is refused as a whole by a territory node and
# by the region, the reason naming operation, table, field and value.
meeting_ops() { # ID SET_JSON
	printf '[%s,{"hlc":"%s","op":"put","table":"meeting","id":"%s","set":%s}]' \
		"$(put_member "AVANT-$1" "0b6a3c1e-2222-4c1e-9a51-0000000000$1")" "$now_hlc" "0b6a3c1e-3333-4c1e-9a51-0000000000$1" "$2"
}
opinion_set() { # FOR AGAINST
	printf '{"meeting":"0b6a3c1e-3333-4c1e-9a51-000000000001","subject":"Avis","votes_for":%s,"votes_against":%s,"votes_abstain":0,"outcome":"favorable"}' "$1" "$2"
}
i=0
while IFS='|' read -r table set want; do
	i=$((i + 1))
	hostile "evil-h$i" rouen-elbeuf
	if [ "$table" = meeting ]; then ops=$(meeting_ops "0$i" "$set"); else
		ops="[$(put_member "AVANT-0$i" "0b6a3c1e-2222-4c1e-9a51-00000000000$i"),{\"hlc\":\"$now_hlc\",\"op\":\"put\",\"table\":\"$table\",\"id\":\"0b6a3c1e-4444-4c1e-9a51-00000000000$i\",\"set\":$set}]"
	fi
	craft "evil-h$i" rouen-elbeuf 1 "$ops" "$T/in-h$i"
	for h in "$A" "$R"; do
		expect_status 1 "$CTSNODE" --home "$h" import "$T/in-h$i"
		reason=$(cts "$h" status --json | jq -r --arg n "evil-h$i" '.refused[] | select(.node == $n) | .reason')
		assert_contains "$reason" "opération 2 : $want"
		assert_eq "$(cts "$h" member list --territory rouen-elbeuf --json 2>/dev/null | jq --arg n "AVANT-0$i" '[.[] | select(.last_name == $n)] | length')" 0 \
			"opération 1 du changeset refusé appliquée chez $h"
	done
done <<EOF_CASES
member|{"last_name":"X","first_name":"Y","college":"evil-college","seat":"titulaire"}|table member, champ college : collège inconnu « evil-college »
meeting|{"body":"evil-body","date":"2020-06-16","title":"T","status":"tenue"}|table meeting, champ body : instance inconnue « evil-body »
meeting|{"body":"bureau","date":"2020-13-45","title":"T","status":"tenue"}|table meeting, champ date : la date de la réunion « 2020-13-45 »
opinion|$(opinion_set -5 0)|table opinion, champ votes_for : le nombre de voix pour : -5
opinion|$(opinion_set 1 9007199254740992)|table opinion, champ votes_against : le nombre de voix contre : 9007199254740992
EOF_CASES
# The same kinds of operations with acceptable values still apply.
hostile evil-h6 rouen-elbeuf
craft evil-h6 rouen-elbeuf 1 "$(meeting_ops 06 '{"body":"bureau","date":"2020-02-29","title":"Bureau","status":"tenue"}')" "$T/in-h6"
expect_status 0 "$CTSNODE" --home "$A" import "$T/in-h6"
assert_eq "$(cts "$A" meeting list --territory rouen-elbeuf --json | jq '[.[] | select(.date == "2020-02-29")] | length')" 1 "réunion valable appliquée"
pass "valeurs contraires aux règles (collège, instance, date, voix) : refusées en entier par un territoire et par la région, raison nommée"

# (i) keys that let anyone sign (the zero key, the identity point: with them
# R = identity, S = 0 "verifies" any message for ssh-keygen and git) are
# refused by init, by enrol and, in the authority's signed registry, by
# every importer.
for hex in $ZERO_KEY_HEX $IDENTITY_KEY_HEX; do
	weak=$(ed25519_line "$hex")
	expect_status 1 "$CTSNODE" --home "$T/weak-init" init --territory rouen-elbeuf --node weak-1 --authority-key "$weak" --no-passphrase
	assert_contains "$ERR" "ordre faible"
	[ ! -e "$T/weak-init/node.db" ] || fail "nœud créé avec une clé d'autorité faible"
	expect_status 1 "$CTSNODE" --home "$R" region enroll --node forge-1 --territory rouen-elbeuf --key "$weak"
	assert_contains "$ERR" "ordre faible"
done
assert_eq "$(cts "$R" status --json | jq .pending_ops)" 0 "opérations écrites par les inscriptions refusées"
# The authority's own key signs an enrolment of the identity key.
seq=$(( $(cts "$R" status --json | jq .last_seq) + 1 ))
rid=$("$CTS_CRAFT" --derived-id registry:forge-1)
craft_ops="[{\"hlc\":\"$now_hlc\",\"op\":\"put\",\"table\":\"registry\",\"id\":\"$rid\",\"set\":{\"node\":\"forge-1\",\"territory_code\":\"rouen-elbeuf\",\"role\":\"territory\",\"key\":\"$(ed25519_line $IDENTITY_KEY_HEX)\"}}]"
printf '%s' "$craft_ops" >"$T/ops.json"
"$CTS_CRAFT" --key "$R/node.key" --node region-normandie --territory normandie --seq "$seq" \
	--prev-from "$(xdir "$R")/changesets/region-normandie/$(printf '%012d' $((seq - 1))).json" --ops "$T/ops.json" --out "$T/in-i" >/dev/null
make_territory "$T/w" rouen-elbeuf re-7 "$R"
cts "$T/w" import "$(xdir "$R")" >/dev/null
expect_status 1 "$CTSNODE" --home "$T/w" import "$T/in-i"
assert_contains "$(cts "$T/w" status --json | jq -r --argjson s "$seq" '.refused[] | select(.node == "region-normandie" and .seq == $s) | .reason')" \
	"opération 1 : table registry, champ key : la clé : clé publique refusée"
pass "clé nulle ou point identité : refusés par init, region enroll et l'import du registre signé par l'autorité"

# Rebuild gives the same digest.
before=$(cts "$A" status --json | jq -r .content_digest)
expect_status 0 "$CTSNODE" --home "$A" rebuild --json
assert_eq "$(jq -r .content_digest <<<"$OUT")" "$before" "empreinte après rebuild"
assert_eq "$(jq -r .same <<<"$OUT")" true "rebuild --json same"
pass "rebuild : même empreinte"

# Every changeset of this run verifies with ssh-keygen and the registry.
signers_of "$R" >"$T/allowed_signers"
cts "$B" seal >/dev/null 2>&1 || true
for h in "$A" "$C" "$R"; do verify_all_with_ssh_keygen "$(xdir "$h")" "$T/allowed_signers" >/dev/null; done
pass "ssh-keygen -Y verify : tous les changesets de la région"
