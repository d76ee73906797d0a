# A lost or damaged node.db is rebuilt from what is signed (issue 12,
# finding 8): with the key and HOME/repo.git intact (the signed history
# table went with node.db; a home of an earlier version may still hold
# HOME/changesets/, read too: case 7),
# `rebuild` recreates the database, restores the node's identity from the
# signed history, moves a damaged file aside (never deleting or changing
# it), gives the same content digest as before, and the node keeps
# syncing without forking its chain. Messages of status and init point to
# `ctsnode rebuild`; unsealed operations of a lost database are said lost.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
make_territory "$T/lh" le-havre lh-secretariat "$T/region"
akey=$(cts "$T/region" key show | awk '{print $1" "$2}')
for h in re:rouen-elbeuf:re-secretariat lh:le-havre:lh-secretariat; do
	IFS=: read -r d terr node <<<"$h"
	cts "$T/region" region enroll --node "$node" --territory "$terr" --key "$(cts "$T/$d" key show | awk '{print $1" "$2}')" >/dev/null
done
cts "$T/region" region pull >/dev/null
m=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
cts "$T/lh" member add --last-name DURAND --first-name Claire --organisation X --college usagers >/dev/null
for h in re lh; do cts "$T/$h" sync --remote "$REPO" >/dev/null; done
cts "$T/region" region pull >/dev/null
for h in re lh; do cts "$T/$h" sync >/dev/null; done

state() { cts "$1" status --json | jq -c '{content_digest, last_seq, node, territory, role, remote, queued_push, pending_ops}'; }
converged() { # every node has the region's digest of its territory, nothing refused
	local h
	expect_status 0 "$CTSNODE" --home "$T/region" region pull
	for h in re lh; do expect_status 0 "$CTSNODE" --home "$T/$h" sync; done
	for h in re lh; do
		assert_eq "$(tdigest "$T/$h")" "$(tdigest "$T/$h" "$T/region")" "empreinte du territoire de $h"
		assert_eq "$(cts "$T/$h" status --json | jq '.refused | length')" 0 "refus chez $h"
	done
	assert_eq "$(cts "$T/region" status --json | jq '.refused | length')" 0 "refus à la région"
}
# keeps_syncing HOME NAME: a new change after the rebuild is sealed with
# the next number, accepted everywhere (no fork), and nodes converge.
keeps_syncing() {
	local last
	last=$(cts "$1" status --json | jq .last_seq)
	cts "$1" member add --last-name "$2" --first-name Apres --organisation X --college etat >/dev/null
	expect_status 0 "$CTSNODE" --home "$1" sync
	assert_eq "$(cts "$1" status --json | jq .last_seq)" $((last + 1)) "numéro suivant"
	converged
	assert_eq "$(cts "$T/region" member list --json | jq --arg n "$2" '[.[] | select(.last_name == $n)] | length')" 1 "reçu par la région"
}
converged
pass "départ : trois nœuds synchronisés"

# 1. node.db deleted.
before=$(state "$T/re")
rm "$T/re/node.db"
expect_status 1 "$CTSNODE" --home "$T/re" status
assert_contains "$ERR" "ctsnode rebuild"
expect_status 1 "$CTSNODE" --home "$T/re" init --territory rouen-elbeuf --node re-secretariat --authority-key "$akey" --no-passphrase
assert_contains "$ERR" "existe déjà"
assert_contains "$ERR" "ctsnode rebuild"
expect_status 1 "$CTSNODE" --home "$T/re" member list
assert_contains "$ERR" "ctsnode rebuild"
expect_status 0 "$CTSNODE" --home "$T/re" rebuild
assert_contains "$OUT" "manquait"
assert_contains "$OUT" "pas encore été scellées"
assert_eq "$(state "$T/re")" "$before" "identité et contenu retrouvés"
assert_eq "$(stat -c %a "$T/re/node.db")" 600 "droits de la base recréée"
keeps_syncing "$T/re" APRESPERTE
pass "node.db supprimé : status et init renvoient à rebuild, rebuild rend la même empreinte, le nœud continue"

# 2. node.db overwritten with garbage bytes.
before=$(state "$T/lh")
head -c 65536 /dev/urandom >"$T/lh/node.db"
sum=$(sha256sum <"$T/lh/node.db")
expect_status 3 "$CTSNODE" --home "$T/lh" status
assert_contains "$ERR" "endommagée"
assert_contains "$ERR" "ctsnode rebuild"
expect_status 0 "$CTSNODE" --home "$T/lh" rebuild --json
assert_eq "$(jq -r .recovered <<<"$OUT")" true "reconstruction signalée"
moved=$(jq -r .moved_to <<<"$OUT")
[ -f "$moved" ] || fail "base abîmée introuvable ($moved)"
assert_eq "$(sha256sum <"$moved")" "$sum" "base abîmée gardée telle quelle"
assert_eq "$(state "$T/lh")" "$before" "même état après reconstruction"
keeps_syncing "$T/lh" APRESDECHETS
pass "node.db rempli d'octets quelconques : mis de côté intact, même empreinte, le nœud continue"

# 3. node.db truncated (a copy cut short, a disk that failed mid-write).
before=$(state "$T/re")
size=$(stat -c %s "$T/re/node.db")
head -c $((size / 2)) "$T/re/node.db" >"$T/half" && mv "$T/half" "$T/re/node.db"
expect_status 0 "$CTSNODE" --home "$T/re" rebuild
assert_contains "$OUT" "endommagée"
assert_contains "$OUT" "mise de côté"
assert_eq "$(state "$T/re")" "$before" "même état après troncature"
damaged() { find "$1" -maxdepth 1 -name 'node.db.damaged-*' ! -name '*-wal' ! -name '*-shm' | wc -l; }
assert_eq "$(damaged "$T/re")" 1 "base tronquée gardée"
keeps_syncing "$T/re" APRESTRONQUE
pass "node.db tronqué : mis de côté, même empreinte, le nœud continue"

# 4. A damaged but readable database: its unsealed operations are counted
# and said lost (the identity rows are gone: the node cannot be opened).
cts "$T/lh" member add --last-name PERDU1 --first-name X --organisation X --college etat >/dev/null
cts "$T/lh" member add --last-name PERDU2 --first-name X --organisation X --college etat >/dev/null
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"DELETE FROM meta WHERE key IN ('node','territory')\"); c.commit()" "$T/lh/node.db"
expect_status 3 "$CTSNODE" --home "$T/lh" status
assert_contains "$ERR" "ctsnode rebuild"
expect_status 0 "$CTSNODE" --home "$T/lh" rebuild
assert_contains "$OUT" "2 saisie(s)"
assert_contains "$OUT" "perdues"
assert_eq "$(cts "$T/lh" member list --json | jq '[.[] | select(.last_name | startswith("PERDU"))] | length')" 0 "saisies non scellées perdues"
assert_eq "$(cts "$T/lh" status --json | jq .pending_ops)" 0 "rien en attente"
assert_eq "$(damaged "$T/lh")" 2 "les deux bases abîmées de lh sont gardées"
keeps_syncing "$T/lh" APRESIDENTITE
pass "base lisible sans identité : reconstruite, les saisies non scellées sont dites perdues (2)"

# 5. node.db (with the signed history it holds) lost: the node's own
# changesets come back from its clone HOME/repo.git (signatures checked)
# into the history, nothing forks.
before=$(state "$T/re")
rm "$T/re/node.db"
expect_status 0 "$CTSNODE" --home "$T/re" rebuild
assert_contains "$OUT" "retrouvé(s) dans repo.git"
assert_eq "$(state "$T/re")" "$before" "même état depuis repo.git"
[ ! -e "$T/re/changesets" ] || fail "historique recopié en fichiers dans le dossier du nœud"
n=$(ls "$(xdir "$T/re")/changesets/re-secretariat/" | grep -c '\.json$')
assert_eq "$n" "$(cts "$T/re" status --json | jq .last_seq)" "changesets du poste recopiés"
keeps_syncing "$T/re" APRESREPO
pass "base et changesets/ perdus : tout revient de repo.git, le nœud continue"

# 6. The regional node itself.
before=$(state "$T/region")
rm "$T/region/node.db"
expect_status 0 "$CTSNODE" --home "$T/region" rebuild
assert_eq "$(state "$T/region")" "$before" "nœud régional retrouvé (rôle, clé, dépôt)"
assert_eq "$(cts "$T/region" key show | awk '{print $1" "$2}')" "$akey" "clé de l'autorité"
keeps_syncing "$T/re" APRESREGION
git --git-dir="$REPO" fsck --no-progress >/dev/null 2>&1 || fail "git fsck"
expect_status 0 "$CTSNODE" audit "$REPO"
pass "nœud régional reconstruit : même empreinte, points de contrôle et synchronisation continuent, audit sans constat"

# 7. A gap in the node's own chain (n°1 in neither changesets/ nor
# repo.git) is refused: rebuilding past it would reuse its number. Nothing
# is moved or created; once the file is back, the rebuild goes through.
# The history files are those an earlier version kept in HOME/changesets/
# (here written by `export`), still read by rebuild and then moved into
# the database at the next opening.
before=$(state "$T/lh")
mv "$(xdir "$T/lh")/changesets" "$T/lh/changesets"
rm "$T/lh/node.db"
mv "$T/lh/changesets/lh-secretariat/000000000001.json" "$T/lh-1.json"
mv "$T/lh/repo.git" "$T/lh-repo.git"
listing=$(ls -la "$T/lh")
expect_status 1 "$CTSNODE" --home "$T/lh" rebuild
assert_contains "$ERR" "n°1 du poste lh-secretariat manque"
assert_eq "$(ls -la "$T/lh")" "$listing" "rien n'a été touché"
mv "$T/lh-1.json" "$T/lh/changesets/lh-secretariat/000000000001.json"
mv "$T/lh-repo.git" "$T/lh/repo.git"
expect_status 0 "$CTSNODE" --home "$T/lh" rebuild
assert_eq "$(state "$T/lh")" "$before" "même état une fois le fichier rendu"
[ ! -e "$T/lh/changesets" ] || fail "fichiers d'historique pas repris dans la base"
keeps_syncing "$T/lh" APRESTROU
pass "trou dans la chaîne du poste : refusé sans rien toucher, puis reconstruit une fois le fichier rendu"
