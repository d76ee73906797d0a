# Homes made by the previous version (schema 7, tests/data/legacy/README.md)
# are migrated to one state row per record (rstate, schema/008) when this
# version opens them: every field state and tombstone is kept exactly (same
# values, SQL types, stamps), the content and territory digests are those
# the previous version recorded, before and after a rebuild, and the
# listings (members, removed members, the open conflict) read the same as
# the previous version printed them.
. "$CTS_E2E_LIB"
tar -C "$T" -xzf "$CTS_TEST_DATA/legacy/homes-v7.tar.gz"
L="$T/v7"
db() { sqlite3 "file:$1/node.db?mode=ro" "$2"; }
digests() { cts "$1" status --json | jq -cS '{content_digest, territory_digests}'; }
same_digests() { # HOME WHEN
	assert_eq "$(digests "$L/$1")" "$(jq -cS . "$L/$1.digests.json")" "empreintes de $1 ($2)"
}
# Every field state and tombstone, one line each, with SQL types.
OLD_FIELDS="SELECT tbl, territory, rid, field, typeof(value), quote(value), hlc, node, seq
	FROM fstate ORDER BY 1, 2, 3, 4"
NEW_FIELDS="SELECT r.tbl, r.territory, r.rid, j.key, typeof(j.value ->> 0), quote(j.value ->> 0),
	j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM rstate r, json_each(r.st) j ORDER BY 1, 2, 3, 4"
OLD_TOMBS="SELECT tbl, territory, rid, hlc, node, seq FROM tomb ORDER BY 1, 2, 3"
NEW_TOMBS="SELECT tbl, territory, rid, tomb_hlc, tomb_node, tomb_seq FROM rstate
	WHERE tomb_hlc IS NOT NULL ORDER BY 1, 2, 3"
TABLES="SELECT group_concat(name) FROM (SELECT name FROM sqlite_master
	WHERE name IN ('fstate', 'tomb', 'rstate') ORDER BY name)"

# ---- migration at the first opening: same state, same digests ----
for h in region re1 re2 lh dp; do
	assert_eq "$(db "$L/$h" "PRAGMA user_version")" 7 "$h vient du schéma 7"
	db "$L/$h" "$OLD_FIELDS" >"$T/$h.fields"
	db "$L/$h" "$OLD_TOMBS" >"$T/$h.tombs"
	same_digests "$h" "après migration"
	assert_eq "$(db "$L/$h" "$TABLES")" "rstate" "$h : fstate et tomb remplacées par rstate"
	assert_eq "$(db "$L/$h" "$NEW_FIELDS")" "$(cat "$T/$h.fields")" "$h : états des champs"
	assert_eq "$(db "$L/$h" "$NEW_TOMBS")" "$(cat "$T/$h.tombs")" "$h : suppressions"
	assert_eq "$(db "$L/$h" "SELECT count(*) FROM rstate r WHERE (SELECT group_concat(key, ',')
		FROM json_each(r.st)) <> (SELECT group_concat(key, ',') FROM (SELECT key
		FROM json_each(r.st) ORDER BY key))")" 0 "$h : champs dans l'ordre"
done
[ "$(wc -l <"$T/region.fields")" -gt 500 ] || fail "trop peu d'états de champs dans la région"
assert_eq "$(wc -l <"$T/dp.tombs")" 1 "une suppression à Dieppe"
assert_eq "$(cut -d'|' -f5 "$T/region.fields" | sort -u | paste -sd,)" "integer,null,text" \
	"valeurs entières, nulles et textes"
pass "migration : mêmes états de champs (valeurs, types, tampons), mêmes suppressions, mêmes empreintes"

# ---- what the previous version printed (ctsnode 55406c4 on these homes) ----
CONFLICT='[
  {
    "id": 1,
    "table": "contribution",
    "territory": "rouen-elbeuf",
    "record": "24a283cc-d371-4202-aca8-1556a6636632",
    "field": "title",
    "win_value": "Coordination ville-hôpital (portable)",
    "win_node": "rouen-elbeuf-portable",
    "win_seq": 2,
    "win_hlc": 117734601705521152,
    "lose_value": "Coordination ville-hôpital (secrétariat)",
    "lose_node": "rouen-elbeuf-secretariat",
    "lose_seq": 2,
    "lose_hlc": 117734601704079360
  }
]'
LIVE='Id        Nom     Prénom  Collège  Siège      Rôle  Mandat  Structure
5018583d  DURAND  Claire  Usagers  Titulaire                France Assos Santé Normandie
1 membre(s).'
REMOVED='Id        Nom    Prénom  Collège                      Siège      Rôle  Mandat  Structure
7668d712  LEROY  Marc    Collectivités territoriales  Titulaire                Mairie de Dieppe
1 membre(s).'
listings() { # WHEN
	assert_eq "$(cts "$L/dp" member list)" "$LIVE" "membres de Dieppe ($1)"
	assert_eq "$(cts "$L/dp" member list --removed)" "$REMOVED" "membres retirés de Dieppe ($1)"
	for h in re1 re2 region; do
		assert_eq "$(cts "$L/$h" conflicts --json)" "$CONFLICT" "conflit ouvert vu de $h ($1)"
	done
}
listings "après migration"
pass "après migration : membres, membres retirés et conflit ouvert comme avant"

# ---- rebuild from the signed history: same digests, same listings ----
for h in re1 dp region; do
	expect_status 0 "$CTSNODE" --home "$L/$h" rebuild
	same_digests "$h" "après reconstruction"
	assert_eq "$(db "$L/$h" "$NEW_FIELDS")" "$(cat "$T/$h.fields")" "$h : états des champs reconstruits"
	assert_eq "$(db "$L/$h" "$NEW_TOMBS")" "$(cat "$T/$h.tombs")" "$h : suppressions reconstruites"
done
listings "après reconstruction"
pass "reconstruction : mêmes états, mêmes empreintes, mêmes listes"
