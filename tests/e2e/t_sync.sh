# Git sync through a local bare repository: region + three territories +
# a second device; equal digests everywhere; stock git verify-commit on
# every node commit, ssh-keygen on every changeset; offline queue;
# rewritten branch; a crafted cross-territory changeset refused by the
# region (the other territories' devices do not fetch the branch).
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"
: "${CTS_SYNC_URL:=$REPO}"   # other transports reuse this script with their URL

make_region "$T/region" normandie region-normandie
key() { cts "$1" key show | awk '{print $1" "$2}'; }
for spec in re1:rouen-elbeuf:re-secretariat re2:rouen-elbeuf:re-portable lh:le-havre:lh-secretariat dp:dieppe:dp-secretariat; do
	IFS=: read -r h terr node <<<"$spec"
	make_territory "$T/$h" "$terr" "$node" "$T/region"
	cts "$T/region" region enroll --node "$node" --territory "$terr" --key "$(key "$T/$h")" >/dev/null
done
[ "$CTS_SYNC_URL" != "$REPO" ] || [ -z "${CTS_SYNC_CREATE:-}" ]
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$CTS_SYNC_URL"
[ "$CTS_SYNC_URL" != "$REPO" ] || git -C "$REPO" rev-parse --verify -q refs/heads/region >/dev/null || fail "branche region absente"
pass "région publiée"

m=$(cts "$T/re1" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/re1" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
m=$(cts "$T/lh" meeting add --body pleniere --date 2020-06-17 --title "Plénière")
cts "$T/lh" attendance import --meeting "$m" "$A/le-havre.csv" --create-missing >/dev/null
cts "$T/dp" member add --last-name DURAND --first-name Claire --organisation X --college usagers >/dev/null
for h in re1 lh dp re2; do expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$CTS_SYNC_URL"; done
assert_eq "$(cts "$T/re2" member list --json | jq length)" 29 "le second poste retrouve les membres du premier"
cts "$T/re2" contribution add --theme segur-pilier-2 --title "Idée" --text "Texte" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/re2" sync
expect_status 0 "$CTSNODE" --home "$T/region" region pull
assert_contains "$OUT" "Point de contrôle"
for h in re1 re2 lh dp; do cts "$T/$h" sync >/dev/null; done
for h in re1 re2 lh dp; do
	assert_eq "$(tdigest "$T/$h")" "$(tdigest "$T/$h" "$T/region")" "empreinte du territoire de $h"
	assert_eq "$(cts "$T/$h" status --json | jq .queued_push)" false "envoi en attente ($h)"
done
pass "tous les nœuds ont la même empreinte"

# Stock tools on a plain clone of the regional repository.
C="$T/clone"
git clone -q --mirror "$CTS_SYNC_URL" "$C" 2>/dev/null || git clone -q --bare "$CTS_SYNC_URL" "$C"
git --git-dir="$C" show region:allowed_signers >"$T/allowed_signers"
assert_eq "$(grep -c . "$T/allowed_signers")" 5 "lignes de allowed_signers"
commits=0
for b in $(git --git-dir="$C" for-each-ref --format='%(refname:short)' refs/heads/nodes/); do
	for c in $(git --git-dir="$C" rev-list "$b"); do
		git --git-dir="$C" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit "$c" 2>"$T/vc" ||
			{ cat "$T/vc"; fail "git verify-commit refuse $c ($b)"; }
		grep -q 'Good "git" signature' "$T/vc" || fail "verify-commit sans « Good signature » pour $c"
		commits=$((commits + 1))
	done
done
[ "$commits" -ge 5 ] || fail "trop peu de commits vérifiés ($commits)"
W="$T/worktree"; git clone -q "$C" "$W" 2>/dev/null; mkdir -p "$W/all"
for b in $(git --git-dir="$C" for-each-ref --format='%(refname:short)' refs/heads/nodes/); do
	git --git-dir="$C" archive "$b" changesets | tar -x -C "$W/all"
done
n=$(verify_all_with_ssh_keygen "$W/all" "$T/allowed_signers")
pass "git verify-commit ($commits commits) et ssh-keygen ($n changesets) : tout est bon"
[ "${CTS_SYNC_SHORT:-}" = 1 ] && exit 0

# Each node branch only adds its own files.
for b in $(git --git-dir="$C" for-each-ref --format='%(refname:short)' refs/heads/nodes/); do
	node=${b#nodes/}
	bad=$(git --git-dir="$C" log --format= --name-status "$b" | grep -v -E "^A\s+changesets/$node/[0-9]{12}\.json(\.sig)?$" || true)
	[ -z "$bad" ] || fail "la branche $b modifie ou ajoute autre chose : $bad"
done
pass "chaque branche n'ajoute que ses propres changesets"

# Offline: three syncs queue work, one sync delivers everything.
mv "$REPO" "$REPO.away"
for i in 1 2 3; do
	cts "$T/dp" member add --last-name "HORS$i" --first-name Ligne --organisation X --college etat >/dev/null
	expect_status 4 "$CTSNODE" --home "$T/dp" sync
	assert_contains "$OUT" "Envoi en attente"
done
assert_eq "$(cts "$T/dp" status --json | jq .queued_push)" true "envoi en attente signalé"
assert_eq "$(cts "$T/dp" status --json | jq .pending_ops)" 0 "tout est scellé localement"
mv "$REPO.away" "$REPO"
expect_status 0 "$CTSNODE" --home "$T/dp" sync
assert_eq "$(cts "$T/dp" status --json | jq .queued_push)" false "envoi livré"
expect_status 0 "$CTSNODE" --home "$T/region" region pull
assert_eq "$(cts "$T/region" member list --territory dieppe --json | jq '[.[] | select(.first_name == "Ligne")] | length')" 3 "la région a tout reçu"
assert_eq "$(git --git-dir="$REPO" ls-tree -r --name-only nodes/dp-secretariat | grep -c '\.json$')" \
	"$(cts "$T/dp" status --json | jq .last_seq)" "ni perte ni doublon"
pass "hors ligne : 3 syncs mis en attente, 1 sync livre tout"

# A crafted changeset writing another territory's record: refused at the
# region and by every node, and reported.
: "${CTS_CRAFT:?}"
seq=$(( $(cts "$T/lh" status --json | jq .last_seq) + 1 ))
prev="$(xdir "$T/lh")/changesets/lh-secretariat/$(printf '%012d' $((seq - 1))).json"
hlc=$(printf '%012x0000' "$(($(date +%s) * 1000))")
printf '[{"hlc":"%s","op":"put","table":"member","id":"0b6a3c1e-1111-4c1e-9a51-0000000000aa","set":{"last_name":"INTRUS"}}]' "$hlc" >"$T/ops.json"
"$CTS_CRAFT" --key "$T/lh/node.key" --node lh-secretariat --territory rouen-elbeuf --seq "$seq" --prev-from "$prev" \
	--ops "$T/ops.json" --out "$T/craft-lh" >/dev/null
# Published on the node's branch of the regional repository with plain git,
# as a compromised laptop could (the node's own database never saw it).
f="$T/craft-lh/changesets/lh-secretariat/$(printf '%012d' "$seq").json"
blob=$(git --git-dir="$REPO" hash-object -w "$f")
sig=$(git --git-dir="$REPO" hash-object -w "$f.sig")
base=$(git --git-dir="$REPO" rev-parse nodes/lh-secretariat)
GIT_INDEX_FILE="$T/idx" git --git-dir="$REPO" read-tree "$base"
GIT_INDEX_FILE="$T/idx" git --git-dir="$REPO" update-index --add --cacheinfo "100644,$blob,changesets/lh-secretariat/$(printf '%012d' "$seq").json"
GIT_INDEX_FILE="$T/idx" git --git-dir="$REPO" update-index --add --cacheinfo "100644,$sig,changesets/lh-secretariat/$(printf '%012d' "$seq").json.sig"
tree=$(GIT_INDEX_FILE="$T/idx" git --git-dir="$REPO" write-tree)
commit=$(git --git-dir="$REPO" -c user.name=x -c user.email=x commit-tree "$tree" -p "$base" -m "intrus")
git --git-dir="$REPO" update-ref refs/heads/nodes/lh-secretariat "$commit" "$base"
expect_status 1 "$CTSNODE" --home "$T/region" region pull
assert_contains "$OUT" "REFUSÉ lh-secretariat"
# The other territories' devices do not fetch le-havre's branch (issue 16
# point 7): they never see it, and the region, which refused it, does not
# pass it on.
for h in re1 re2 dp; do
	expect_status 0 "$CTSNODE" --home "$T/$h" sync
	assert_eq "$(cts "$T/$h" member list --territory rouen-elbeuf --json | jq '[.[] | select(.last_name == "INTRUS")] | length')" 0 "intrus chez $h"
done
pass "changeset écrivant un autre territoire : refusé par la région, jamais reçu par les autres territoires"

# A rewritten node branch: the node gets a clear refusal, the region
# reports the rewrite against its checkpoint.
# (a new root commit with the same files: history rewritten, not extended)
rewritten=$(git --git-dir="$REPO" -c user.name=x -c user.email=x commit-tree "nodes/re-portable^{tree}" -m "réécrit")
git --git-dir="$REPO" update-ref refs/heads/nodes/re-portable "$rewritten"
cts "$T/re2" member add --last-name APRES --first-name Reecriture --organisation X --college etat >/dev/null
expect_status 1 "$CTSNODE" --home "$T/re2" sync
assert_contains "$OUT" "BLOQUÉ : la branche nodes/re-portable"
assert_contains "$OUT" "rien n'est envoyé"
assert_eq "$(cts "$T/re2" status --json | jq '[.incidents[] | select(.kind == "foreign_commit")] | length')" 1 "incident"
expect_status 1 "$CTSNODE" --home "$T/region" region pull
assert_contains "$OUT" "réécri"
pass "branche réécrite : refus clair au poste, constat à la région"

# The local clone stays compact.
loose=$(find "$T/region/repo.git/objects" -path '*/objects/[0-9a-f][0-9a-f]/*' -type f | wc -l)
[ "$loose" -le 2000 ] || fail "trop d'objets libres ($loose)"
pass "dépôt local compact ($loose objets libres)"
