# Homes of the previous version (schema 7, tests/data/legacy: the history
# as files HOME/changesets/<node>/<seq>.json + .sig) opened by this one:
# the files move into the table `history` of node.db at the first
# writable opening. Killed (SIGKILL) at each crash point of that opening
# in turn (CTSNODE_TEST_CRASH_AT=k), the database passes integrity_check
# and every original file is either still there, unchanged, or in the
# table with the same bytes; the next opening finishes the move. At the
# end HOME/changesets/ is gone, `export` gives back files with the
# recorded sha256, the digests are those the previous version recorded,
# the homes still sync and pull, and the audit of the repository is clean.
. "$CTS_E2E_LIB"
L="$CTS_TEST_DATA/legacy"
tar -C "$T" -xzf "$L/homes-v7.tar.gz"
V="$T/v7"
HOMES="region re1 re2 lh dp"
for h in $HOMES; do # the archive's files are those the previous version recorded
	(cd "$V/$h" && sha256sum --quiet -c "$V/$h.history.sha256") || fail "archive : fichiers de $h"
done

# The homes name the folder they were made in: point them at this one.
old=$(git config --file "$V/re1/repo.git/config" remote.origin.url)
old=${old%/region.git}
for h in $HOMES; do sed -i "s|$old/|$V/|g" "$V/$h/repo.git/config"; done

integrity() { # HOME
	assert_eq "$(sqlite3 "$1/node.db" "PRAGMA integrity_check")" ok "integrity_check de $1"
}
# covered WORK ORIG: every history file of the home ORIG (untouched) is in
# WORK unchanged or, once moved, in WORK's table with the same bytes;
# prints how many are in the table.
covered() {
	local rel node name col sql="" moved=0 lost
	while read -r _ rel; do
		if [ -e "$1/$rel" ]; then
			cmp -s "$1/$rel" "$2/$rel" || fail "fichier modifié : $1/$rel"
			continue
		fi
		IFS=/ read -r _ node name <<<"$rel"
		col=json; [ "${name%.sig}" = "$name" ] || col=sig
		sql+="SELECT '$rel' WHERE NOT EXISTS (SELECT 1 FROM history WHERE node = '$node'"
		sql+=" AND seq = $((10#${name:0:12})) AND $col = readfile('$2/$rel'));"
		moved=$((moved + 1))
	done <"$2.history.sha256"
	if [ "$moved" -gt 0 ]; then
		lost=$(sqlite3 "$1/node.db" "$sql") || fail "historique illisible dans $1"
		[ -z "$lost" ] || fail "perdu dans $1 : $lost"
	fi
	echo "$moved"
}

# ---- killed at each crash point of the opening, home by home ----
kills=0
for h in $HOMES; do
	k=1
	while :; do
		rm -rf "$T/w"
		cp -a "$V/$h" "$T/w"
		rc=$(run_crashing "$k" "$CTSNODE" --home "$T/w" status --json)
		[ "$rc" -eq 0 ] && break
		[ "$rc" -eq 137 ] || fail "$h : code $rc au point $k"
		kills=$((kills + 1))
		integrity "$T/w"
		covered "$T/w" "$V/$h" >/dev/null
		expect_status 0 "$CTSNODE" --home "$T/w" status --json # the next opening finishes
		[ ! -e "$T/w/changesets" ] || fail "$h : changesets/ encore là après la reprise (point $k)"
		covered "$T/w" "$V/$h" >/dev/null
		k=$((k + 1))
	done
	[ "$k" -gt 3 ] || fail "$h : seulement $((k - 1)) point(s) de coupure"
done
pass "ouverture coupée à chaque point ($kills coupures) : base intègre, aucun fichier perdu, la reprise termine"

# ---- files that cannot be moved stay where they are, and are reported ----
rm -rf "$T/w"; cp -a "$V/re2" "$T/w"
d=$(ls -d "$T/w/changesets/"*/ | head -1)
printf 'note\n' >"$d/LISEZMOI"
echo '{"node":"autre","seq":1}' >"$d/000000000099.json"; echo sig >"$d/000000000099.json.sig"
expect_status 0 "$CTSNODE" --home "$T/w" status --json
assert_contains "$ERR" "3 fichier(s) de l'ancien historique n'ont pas pu être repris"
for f in LISEZMOI 000000000099.json 000000000099.json.sig; do [ -e "$d/$f" ] || fail "$f supprimé"; done
assert_eq "$(find "$T/w/changesets" -type f | wc -l)" 3 "seuls les fichiers non repris restent"
expect_status 0 "$CTSNODE" --home "$T/w" status --json
assert_contains "$ERR" "n'ont pas pu être repris"
pass "fichiers inattendus ou illisibles : laissés en place, signalés à chaque commande"

# ---- the homes themselves, opened once ----
for h in $HOMES; do
	n=$(wc -l <"$V/$h.history.sha256")
	rm -rf "$T/orig"; cp -a "$V/$h" "$T/orig"
	expect_status 0 "$CTSNODE" --home "$V/$h" status --json
	assert_eq "$(jq -c '{content_digest, territory_digests}' <<<"$OUT")" "$(cat "$V/$h.digests.json")" "empreintes de $h"
	[ ! -e "$V/$h/changesets" ] || fail "$h : changesets/ encore là"
	cp "$V/$h.history.sha256" "$T/orig.history.sha256"
	assert_eq "$(covered "$V/$h" "$T/orig")" "$n" "fichiers de $h dans la base"
	x=$(xdir "$V/$h")
	assert_eq "$(cd "$x" && find changesets -type f | LC_ALL=C sort | xargs sha256sum)" "$(cat "$V/$h.history.sha256")" \
		"export de $h : mêmes fichiers, mêmes octets"
done
pass "historique passé dans la base : dossier changesets/ supprimé, export identique octet pour octet, mêmes empreintes"

# ---- a home of the previous version exported then imported elsewhere ----
make_territory "$T/lh-new" le-havre lh-nouveau "$V/region"
expect_status 0 "$CTSNODE" --home "$T/lh-new" import "$(xdir "$V/lh")"
assert_eq "$(tdigest "$T/lh-new")" "$(tdigest "$V/lh")" "empreinte du territoire importé par dossier"
pass "export puis import DOSSIER sur un poste neuf de la même région : même empreinte"

# ---- they still sync and pull; the repository audits clean ----
R="$V/region.git"
cts "$V/dp" member add --last-name APRESMIGRATION --first-name Test --organisation X --college etat >/dev/null
for h in re1 re2 lh dp; do expect_status 0 "$CTSNODE" --home "$V/$h" sync --remote "$R"; done
expect_status 0 "$CTSNODE" --home "$V/region" region pull --remote "$R"
for h in re1 re2 lh dp; do
	expect_status 0 "$CTSNODE" --home "$V/$h" sync
	assert_eq "$(tdigest "$V/$h")" "$(tdigest "$V/$h" "$V/region")" "empreinte du territoire de $h après synchronisation"
done
assert_eq "$(cts "$V/region" member list --json | jq '[.[] | select(.last_name == "APRESMIGRATION")] | length')" 1 \
	"saisie après migration reçue par la région"
expect_status 0 "$CTSNODE" audit "$R"
pass "après la migration : synchronisation, récupération régionale, audit sans constat"
