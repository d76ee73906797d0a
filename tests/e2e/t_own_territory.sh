#!/usr/bin/env bash
# Issue 16, point 7: each territory keeps its own. Two territories (one
# with two devices) sync through a real bare repository and the region: a
# territory's device fetches and imports only the region branch, the
# authority's branch and its territory's node branches, so its database
# holds nothing of the other territory; its territory digest equals the
# region's; the region and the audit still see everything.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
member() { cts "$1" member add --last-name "$2" --first-name X --organisation X --college etat >/dev/null; }

make_region "$T/region" normandie region-normandie
enroll_territories "$T/region" dp1:dieppe:dp-poste-1 dp2:dieppe:dp-poste-2 ro1:rouen:ro-poste-1
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
member "$T/dp1" DIEPPOIS
member "$T/dp2" DIEPPOIS-DEUX
member "$T/ro1" ROUENNAIS
m=$(cts "$T/ro1" meeting add --body pleniere --date 2026-03-02 --title "Plénière de Rouen")
for h in dp1 dp2 ro1; do expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$REPO"; done
expect_status 0 "$CTSNODE" --home "$T/region" region pull
for h in dp1 dp2 ro1; do expect_status 0 "$CTSNODE" --home "$T/$h" sync; done
pass "trois postes et la région synchronisés"

# ---- what each one holds ----
names() { cts "$1" member list --territory "$2" --json | jq -r '[.[].last_name] | sort | join(",")'; }
assert_eq "$(names "$T/dp1" dieppe)" "DIEPPOIS,DIEPPOIS-DEUX" "dieppe vu par dp1"
assert_eq "$(names "$T/dp2" dieppe)" "DIEPPOIS,DIEPPOIS-DEUX" "dieppe vu par dp2"
assert_eq "$(names "$T/dp1" rouen)" "" "rouen vu par dp1"
assert_eq "$(names "$T/ro1" dieppe)" "" "dieppe vu par ro1"
assert_eq "$(names "$T/region" dieppe)" "DIEPPOIS,DIEPPOIS-DEUX" "dieppe vu par la région"
assert_eq "$(names "$T/region" rouen)" "ROUENNAIS" "rouen vu par la région"
cts "$T/dp1" member list --territory rouen | grep -q "^Ce poste ne garde que le territoire dieppe : les autres territoires sont sur le nœud régional\.$" ||
	fail "dp1 : member list --territory rouen ne dit pas que ce poste ne garde que dieppe"
db() { sqlite3 "file:$T/$1/node.db?mode=ro" "$2"; }
for q in "SELECT count(*) FROM rstate r, json_each(r.st) WHERE r.territory = 'rouen'" "SELECT count(*) FROM rstate WHERE tomb_hlc IS NOT NULL AND territory = 'rouen'" \
	"SELECT count(*) FROM member WHERE territory = 'rouen'" "SELECT count(*) FROM meeting WHERE territory = 'rouen'" \
	"SELECT count(*) FROM changeset WHERE node = 'ro-poste-1'" "SELECT count(*) FROM inbox WHERE node = 'ro-poste-1'"; do
	assert_eq "$(db dp1 "$q")" 0 "dp1 : $q"
done
assert_eq "$(db ro1 "SELECT count(*) FROM rstate r, json_each(r.st) WHERE r.territory = 'dieppe'")" 0 "ro1 : rien de dieppe"
assert_eq "$(db dp1 "SELECT count(*) FROM history WHERE node = 'ro-poste-1'")" 0 "dp1 : historique de ro-poste-1"
assert_eq "$(db dp1 "SELECT count(*) FROM history WHERE node = 'dp-poste-2'")" \
	"$(db dp2 "SELECT count(*) FROM history WHERE node = 'dp-poste-2'")" "dp1 : historique de dp-poste-2"
[ ! -e "$T/dp1/changesets" ] || fail "dp1 a des fichiers d'historique hors de la base"
git --git-dir="$T/dp1/repo.git" rev-parse -q --verify refs/remotes/origin/nodes/ro-poste-1 >/dev/null &&
	fail "dp1 a récupéré la branche de ro-poste-1"
git --git-dir="$T/dp1/repo.git" rev-parse -q --verify refs/remotes/origin/nodes/dp-poste-2 >/dev/null ||
	fail "dp1 n'a pas récupéré la branche de dp-poste-2"
assert_eq "$(db region "SELECT count(*) FROM rstate r, json_each(r.st) WHERE r.territory = 'rouen' AND r.tbl = 'member'")" \
	"$(db ro1 "SELECT count(*) FROM rstate r, json_each(r.st) WHERE r.territory = 'rouen' AND r.tbl = 'member'")" "la région garde rouen"
pass "chaque territoire garde le sien : rien de rouen dans la base de dieppe, la région garde tout"

# ---- same territory digests, nothing waiting ----
for h in dp1 dp2 ro1; do
	assert_eq "$(tdigest "$T/$h")" "$(tdigest "$T/$h" "$T/region")" "empreinte du territoire de $h"
	expect_status 0 "$CTSNODE" --home "$T/$h" status --json
	assert_eq "$(jq -c '[.pending, .held, .refused, .incidents] | map(length)' <<<"$OUT")" "[0,0,0,0]" "rien en attente sur $h"
done
assert_eq "$(tdigest "$T/dp1")" "$(tdigest "$T/dp2")" "les deux postes de dieppe"
expect_status 0 "$CTSNODE" --home "$T/region" status --json
assert_eq "$(jq -r '.territory_digests | keys | join(",")' <<<"$OUT")" "dieppe,rouen" "la région a une empreinte par territoire"
pass "même empreinte de territoire que la région, rien en attente"

# ---- a device enrolled later in rouen gets rouen's history, not dieppe's ----
make_territory "$T/ro2" rouen ro-poste-2 "$T/region"
cts "$T/region" region enroll --node ro-poste-2 --territory rouen --key "$(cts "$T/ro2" key show | awk '{print $1" "$2}')" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/region" region pull
member "$T/ro2" ROUENNAIS-DEUX
expect_status 0 "$CTSNODE" --home "$T/ro2" sync --remote "$REPO"
assert_eq "$(names "$T/ro2" rouen)" "ROUENNAIS,ROUENNAIS-DEUX" "rouen vu par ro2 dès sa première synchronisation"
assert_eq "$(db ro2 "SELECT count(*) FROM rstate r, json_each(r.st) WHERE r.territory = 'dieppe'")" 0 "ro2 : rien de dieppe"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
expect_status 0 "$CTSNODE" --home "$T/ro2" sync
assert_eq "$(tdigest "$T/ro2")" "$(tdigest "$T/ro2" "$T/region")" "empreinte du territoire de ro2"
pass "un nouveau poste reçoit son territoire à la première synchronisation, rien d'autre"

# ---- a device holding another territory's data (an earlier version read
# every branch; here it is brought by a folder) deletes it at its next sync ----
expect_status 0 "$CTSNODE" --home "$T/dp1" import "$(xdir "$T/ro1")"
assert_eq "$(names "$T/dp1" rouen)" "ROUENNAIS" "rouen importé par dossier"
[ "$(db dp1 "SELECT count(*) FROM history WHERE node = 'ro-poste-1'")" -gt 0 ] || fail "historique de ro-poste-1 absent après l'import"
expect_status 0 "$CTSNODE" --home "$T/dp1" sync
assert_eq "$(names "$T/dp1" rouen)" "" "rouen effacé à la synchronisation"
for q in "SELECT count(*) FROM rstate r, json_each(r.st) WHERE r.territory = 'rouen'" "SELECT count(*) FROM member WHERE territory = 'rouen'" \
	"SELECT count(*) FROM changeset WHERE node LIKE 'ro-poste-%'" "SELECT count(*) FROM inbox WHERE node LIKE 'ro-poste-%'"; do
	assert_eq "$(db dp1 "$q")" 0 "dp1 après nettoyage : $q"
done
assert_eq "$(db dp1 "SELECT count(*) FROM history WHERE node LIKE 'ro-poste-%'")" 0 "dp1 garde l'historique de ro-poste-1"
[ -z "$(ls "$(xdir "$T/dp1")/changesets" | grep ro-poste)" ] || fail "l'export de dp1 contient ro-poste-1"
assert_eq "$(tdigest "$T/dp1")" "$(tdigest "$T/dp1" "$T/region")" "empreinte du territoire de dp1 après nettoyage"
expect_status 0 "$CTSNODE" --home "$T/dp2" sync
assert_eq "$(cts "$T/dp1" status --json | jq -r .content_digest)" "$(cts "$T/dp2" status --json | jq -r .content_digest)" \
	"dp1 tient ce que tient dp2, qui n'a jamais rien reçu de rouen"
expect_status 0 "$CTSNODE" --home "$T/dp1" rebuild
assert_eq "$(names "$T/dp1" rouen)" "" "rien de rouen après rebuild"
pass "les données d'un autre territoire déjà reçues sont effacées à la synchronisation suivante"

# ---- the git objects an earlier version fetched (every branch) go too ----
git --git-dir="$T/dp1/repo.git" fetch -q "$REPO" '+refs/heads/nodes/*:refs/remotes/origin/nodes/*' ||
	fail "git fetch de toutes les branches"
rocommit=$(git --git-dir="$T/dp1/repo.git" rev-parse refs/remotes/origin/nodes/ro-poste-1)
git --git-dir="$T/dp1/repo.git" cat-file -e "$rocommit" || fail "commit de rouen absent après git fetch"
expect_status 0 "$CTSNODE" --home "$T/dp1" sync
git --git-dir="$T/dp1/repo.git" rev-parse -q --verify refs/remotes/origin/nodes/ro-poste-1 >/dev/null &&
	fail "dp1 garde la branche de ro-poste-1"
git --git-dir="$T/dp1/repo.git" cat-file -e "$rocommit" 2>/dev/null &&
	fail "dp1 garde les objets git de ro-poste-1"
git --git-dir="$T/dp1/repo.git" rev-parse -q --verify refs/remotes/origin/nodes/dp-poste-2 >/dev/null ||
	fail "dp1 a perdu la branche de dp-poste-2"
git --git-dir="$T/dp1/repo.git" fsck --no-dangling --no-progress >/dev/null 2>&1 || fail "dépôt de dp1 incohérent après compactage"
expect_status 0 "$CTSNODE" --home "$T/dp1" sync
assert_eq "$(tdigest "$T/dp1")" "$(tdigest "$T/dp1" "$T/region")" "empreinte du territoire de dp1 après compactage"
pass "les branches et objets git d'un autre territoire déjà reçus sont effacés à la synchronisation suivante"

# ---- a record of another territory left in the state alone (no changeset
# of it here) is found at the next sync whatever its code sorts before,
# between or after dieppe and normandie (the check searches three ranges) ----
for other in alencon evreux rouen; do
	sqlite3 "$T/dp1/node.db" "INSERT INTO rstate (tbl, territory, rid, st) VALUES ('member', '$other', 'reste', '{\"last_name\":[\"RESTE\",1,\"x\",1]}')" ||
		fail "insertion d'un état de $other"
	expect_status 0 "$CTSNODE" --home "$T/dp1" sync
	assert_eq "$(db dp1 "SELECT count(*) FROM rstate WHERE territory = '$other'")" 0 "état de $other effacé à la synchronisation"
done
assert_eq "$(tdigest "$T/dp1")" "$(tdigest "$T/dp1" "$T/region")" "empreinte du territoire de dp1 après ces nettoyages"
pass "un état d'un autre territoire laissé seul est effacé à la synchronisation suivante"

# ---- the audit reads everything ----
expect_status 0 "$CTSNODE" audit "$REPO" --json
assert_eq "$(jq .ok <<<"$OUT")" true "audit"
assert_eq "$(jq -r '.nodes | keys | join(",")' <<<"$OUT")" "dp-poste-1,dp-poste-2,region-normandie,ro-poste-1,ro-poste-2" "nœuds audités"
pass "l'audit voit tous les territoires et ne trouve rien"
