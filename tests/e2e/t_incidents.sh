# Evidence a node sees on the regional repository is kept as incidents
# (status, status --json) instead of only being printed, and a commit by
# another node on a node's own branch, or on the region branch, blocks
# only that branch: the rest of the sync goes on (issue 12, findings 6
# and 7). Every attack is built with stock git plumbing (commit-tree,
# update-ref, push) and ssh-keygen.
. "$CTS_E2E_LIB"
REPO="$T/region.git"
W="$T/intrus.git"               # the attacker's clone
G() { git --git-dir="$W" -c user.name=intrus -c user.email=intrus@invalid "$@"; }

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
# Three devices of one territory: each reads the others' branches (a
# territory's device reads only its territory's, issue 16 point 7).
make_territory "$T/lh" rouen-elbeuf lh-secretariat "$T/region"
make_territory "$T/dp" rouen-elbeuf dp-secretariat "$T/region"
for spec in re:rouen-elbeuf:re-secretariat lh:rouen-elbeuf:lh-secretariat dp:rouen-elbeuf:dp-secretariat; do
	IFS=: read -r h terr node <<<"$spec"
	cts "$T/region" region enroll --node "$node" --territory "$terr" --key "$(cts "$T/$h" key show | awk '{print $1" "$2}')" >/dev/null
done
cts "$T/region" region pull >/dev/null
for h in re lh dp; do
	cts "$T/$h" member add --last-name "PREMIER-$h" --first-name P --organisation X --college etat >/dev/null
	cts "$T/$h" sync --remote "$REPO" >/dev/null
done
cts "$T/region" region pull >/dev/null
for h in re lh dp; do cts "$T/$h" sync >/dev/null; done
git clone -q --bare "$REPO" "$W"

# plumb REF MESSAGE [-S KEY] PATH=FILE...: a commit on REF adding files,
# made and pushed with plain git (unsigned unless -S KEY: an SSH key).
plumb() {
	local ref=$1 msg=$2 sign=() base tree commit spec idx="$T/idx"
	shift 2
	if [ "${1:-}" = -S ]; then sign=(-c gpg.format=ssh -c "user.signingkey=$2"); shift 2; fi
	G fetch -q "$REPO" "+refs/heads/*:refs/heads/*"
	base=$(G rev-parse "$ref")
	rm -f "$idx"
	GIT_INDEX_FILE="$idx" G read-tree "$base"
	for spec in "$@"; do
		GIT_INDEX_FILE="$idx" G update-index --add --cacheinfo "100644,$(G hash-object -w "${spec#*=}"),${spec%%=*}"
	done
	tree=$(GIT_INDEX_FILE="$idx" G write-tree)
	if [ ${#sign[@]} -gt 0 ]; then
		commit=$(G "${sign[@]}" commit-tree -S "$tree" -p "$base" -m "$msg")
	else
		commit=$(G commit-tree "$tree" -p "$base" -m "$msg")
	fi
	G update-ref "$ref" "$commit" "$base"
	G push -q "$REPO" "$ref:$ref"
	echo "$commit"
}
incidents() { cts "$1" status --json | jq -c --arg k "$2" '[.incidents[] | select(.kind == $k)]'; }
has_member() { cts "$1" member list --territory "$2" --json | jq --arg n "$3" '[.[] | select(.last_name == $n)] | length'; }

# ---- Finding 6: a commit by another node on a node's own branch ----
re_tip=$(git --git-dir="$REPO" rev-parse nodes/re-secretariat)
printf 'note\n' >"$T/note.txt"
L=$(xdir "$T/lh")
foreign=$(plumb refs/heads/nodes/re-secretariat "ajout par lh" \
	"changesets/lh-secretariat/000000000001.json=$L/changesets/lh-secretariat/000000000001.json" \
	"changesets/lh-secretariat/000000000001.json.sig=$L/changesets/lh-secretariat/000000000001.json.sig")
cts "$T/lh" member add --last-name APRES-LH --first-name P --organisation X --college etat >/dev/null
expect_status 1 "$CTSNODE" --home "$T/lh" sync    # lh sees the unsigned commit (below, for dp)
cts "$T/re" member add --last-name BLOQUE-RE --first-name P --organisation X --college etat >/dev/null
last=$(cts "$T/re" status --json | jq .last_seq)
expect_status 1 "$CTSNODE" --home "$T/re" sync
assert_contains "$OUT" "BLOQUÉ : la branche nodes/re-secretariat du dépôt régional porte le commit ${foreign:0:12}"
assert_contains "$OUT" "non signé"
assert_contains "$OUT" "Prochaine étape"
assert_eq "$(has_member "$T/re" rouen-elbeuf APRES-LH)" 1 "le travail des autres est importé malgré le blocage"
assert_eq "$(cts "$T/re" status --json | jq .last_seq)" $((last + 1)) "travail scellé et gardé"
assert_eq "$(cts "$T/re" status --json | jq .queued_push)" true "envoi en attente"
assert_eq "$(git --git-dir="$REPO" rev-parse nodes/re-secretariat)" "$foreign" "rien poussé sur la branche bloquée"
inc=$(incidents "$T/re" foreign_commit)
assert_eq "$(jq length <<<"$inc")" 1 "incident foreign_commit"
assert_eq "$(jq -r '.[0].node' <<<"$inc")" re-secretariat "nœud de l'incident"
assert_contains "$(jq -r '.[0].date' <<<"$inc")" "T"
expect_status 1 "$CTSNODE" --home "$T/re" sync --json
assert_eq "$(jq -r '.blocked[0].branch' <<<"$OUT")" nodes/re-secretariat "sync --json : blocked"
assert_eq "$(jq -r '.blocked[0].commit' <<<"$OUT")" "$foreign" "sync --json : commit"
assert_eq "$(jq -r .ok <<<"$OUT")" true "le reste a réussi"
assert_eq "$(incidents "$T/re" foreign_commit | jq '.[0].count')" 2 "même incident, vu deux fois"
pass "commit d'un autre sur la branche du poste : refusé, le reste du sync se fait, incident, code 1"

# A node that fetched the foreign commit keeps the evidence too.
expect_status 1 "$CTSNODE" --home "$T/dp" sync
assert_eq "$(incidents "$T/dp" unsigned_commit | jq -c 'map(.node)')" '["re-secretariat"]' "commit non signé vu par dp"
assert_eq "$(incidents "$T/dp" foreign_file | jq -c 'map(.node)')" '["re-secretariat"]' "fichier d'un autre vu par dp"
expect_status 0 "$CTSNODE" --home "$T/dp" sync
assert_eq "$(incidents "$T/dp" unsigned_commit | jq '.[0].count')" 1 "rapporté une seule fois"
pass "les autres nœuds gardent la trace : commit non signé, fichier sous le dossier d'un autre"

# The coordinator puts the branch back: the queued work goes out, everyone converges.
git --git-dir="$REPO" update-ref refs/heads/nodes/re-secretariat "$re_tip" "$foreign"
expect_status 0 "$CTSNODE" --home "$T/re" sync
assert_eq "$(cts "$T/re" status --json | jq .queued_push)" false "travail envoyé après réparation"
cts "$T/region" region pull >/dev/null
for h in re lh dp; do cts "$T/$h" sync >/dev/null || true; done
cts "$T/region" region pull >/dev/null || true
for h in re lh dp; do assert_eq "$(tdigest "$T/$h")" "$(tdigest "$T/$h" "$T/region")" "empreinte du territoire de $h"; done
assert_eq "$(has_member "$T/region" rouen-elbeuf BLOQUE-RE)" 1 "la région a reçu le travail retenu"
assert_contains "$(incidents "$T/dp" branch_rewritten | jq -r '.[0].detail')" "nodes/re-secretariat"
pass "branche remise en état : le travail gardé part, tout converge (dp note la réécriture)"

# ---- Finding 6: a foreign commit on the region branch ----
region_tip=$(git --git-dir="$REPO" rev-parse region)
rforeign=$(plumb refs/heads/region "ajout sur region" "notes.txt=$T/note.txt")
make_territory "$T/nv" rouen-elbeuf re-nouveau "$T/region"
cts "$T/region" region enroll --node re-nouveau --territory rouen-elbeuf --key "$(cts "$T/nv" key show | awk '{print $1" "$2}')" >/dev/null
expect_status 1 "$CTSNODE" --home "$T/region" region pull
assert_contains "$OUT" "BLOQUÉ : la branche region du dépôt régional porte le commit ${rforeign:0:12}"
assert_eq "$(git --git-dir="$REPO" rev-parse nodes/region-normandie)" "$(git --git-dir="$T/region/repo.git" rev-parse nodes/region-normandie)" \
	"la branche du nœud régional est envoyée"
assert_eq "$(git --git-dir="$REPO" rev-parse region)" "$rforeign" "branche region non modifiée"
assert_eq "$(incidents "$T/region" foreign_commit | jq -r '.[0].detail')" "$(incidents "$T/region" foreign_commit | jq -r '.[0].detail')"
assert_contains "$(incidents "$T/region" foreign_commit | jq -r 'map(.detail) | join(" ")')" "branche region"
expect_status 0 "$CTSNODE" --home "$T/nv" sync --remote "$REPO"
assert_eq "$(cts "$T/nv" status --json | jq '.pending | length')" 0 "l'inscription passe malgré le blocage de region"
expect_status 1 "$CTSNODE" --home "$T/region" region publish --year 2020
assert_contains "$ERR" "Rien n'a été publié"
git --git-dir="$REPO" update-ref refs/heads/region "$region_tip" "$rforeign"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
assert_eq "$(git --git-dir="$REPO" rev-parse region)" "$(git --git-dir="$T/region/repo.git" rev-parse region)" "region publiée après réparation"
expect_status 0 "$CTSNODE" --home "$T/region" region publish --year 2020
pass "commit étranger sur region : l'autorité continue (import, point de contrôle, sa branche), region attend sa réparation"

# ---- Finding 7: each kind of evidence becomes an incident ----
kinds_before=$(cts "$T/re" status --json | jq '.incidents | length')
# (a) an unsigned commit carrying a genuine changeset of lh: applied (its
# own signature is good) but no longer without comment.
cts "$T/lh" member add --last-name SANSSIGNATURE --first-name P --organisation X --college etat >/dev/null
cts "$T/lh" seal >/dev/null
s=$(cts "$T/lh" status --json | jq .last_seq)
f=$(printf 'changesets/lh-secretariat/%012d.json' "$s")
L=$(xdir "$T/lh")
unsigned=$(plumb refs/heads/nodes/lh-secretariat "non signé" "$f=$L/$f" "$f.sig=$L/$f.sig")
# (b) a commit signed by a key the registry does not know, adding a file
# under another node's folder.
ssh-keygen -q -t ed25519 -N '' -f "$T/intrus_key"
other=$(plumb refs/heads/nodes/dp-secretariat "signé par un inconnu" -S "$T/intrus_key" \
	"changesets/re-secretariat/000000000099.json=$T/note.txt")
# (c) an oversized changeset file, (d) a changeset without its signature.
head -c $((9 * 1024 * 1024)) /dev/zero >"$T/big.json"
printf '{}\n' >"$T/nosig.json"
plumb refs/heads/nodes/dp-secretariat "trop gros" "changesets/dp-secretariat/000000000050.json=$T/big.json" \
	"changesets/dp-secretariat/000000000051.json=$T/nosig.json" >/dev/null
expect_status 1 "$CTSNODE" --home "$T/re" sync
assert_eq "$(has_member "$T/re" rouen-elbeuf SANSSIGNATURE)" 1 "changeset signé appliqué"
chk() { # KIND NODE SEQ DETAIL-PART
	local got
	got=$(incidents "$T/re" "$1" | jq -c --arg n "$2" --argjson s "$3" '[.[] | select(.node == $n and .seq == $s)]')
	assert_eq "$(jq length <<<"$got")" 1 "incident $1 ($2 n°$3)"
	assert_contains "$(jq -r '.[0].detail' <<<"$got")" "$4"
	[[ "$(jq -r '.[0].date' <<<"$got")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] || fail "date de l'incident $1"
}
chk unsigned_commit lh-secretariat 0 "${unsigned:0:12}"
chk foreign_commit dp-secretariat 0 "clé que le registre n'inscrit pas"
chk foreign_file dp-secretariat 0 "changesets/re-secretariat/"
chk oversized_changeset dp-secretariat 50 "trop gros"
chk missing_signature dp-secretariat 51 "signature absente"
# (e) a rewritten branch, (f) a deleted branch.
rewritten=$(git --git-dir="$REPO" -c user.name=x -c user.email=x commit-tree "nodes/lh-secretariat^{tree}" -m "réécrit")
git --git-dir="$REPO" update-ref refs/heads/nodes/lh-secretariat "$rewritten"
git --git-dir="$REPO" update-ref -d refs/heads/nodes/dp-secretariat
expect_status 1 "$CTSNODE" --home "$T/re" sync
chk branch_rewritten lh-secretariat 0 "réécrite"
chk branch_deleted dp-secretariat 0 "a disparu"
st=$(cts "$T/re" status --json | jq '.incidents | length')
[ "$st" -ge $((kinds_before + 7)) ] || fail "incidents : $st"
expect_status 0 "$CTSNODE" --home "$T/re" status
assert_contains "$OUT" "Incidents constatés : $st"
assert_contains "$OUT" "lh-secretariat"
pass "commit non signé, clé inconnue, fichier d'un autre, changeset trop gros, signature absente, branche réécrite ou supprimée : incidents datés dans status"
