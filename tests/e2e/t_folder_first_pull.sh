# A region's first pull from a folder repository copies the folder's packs
# and loose objects (sync/gitrepo_seed.c) instead of having libgit2 pack
# the whole history again: the copy is taken (the folder's pack names
# appear in the region's repository), it brings loose objects too (a push
# under the tip of a branch exploded into loose objects), the result is the digest a
# territory computes, a damaged pack is refused with a clear message and
# leaves nothing behind, and a pull killed at any crash point is finished
# by the next one.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

make_region "$T/region" normandie region-normandie
enroll_territories "$T/region" re:rouen-elbeuf:re-secretariat lh:le-havre:lh-secretariat
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
m=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
m=$(cts "$T/lh" meeting add --body pleniere --date 2020-06-17 --title "Plénière")
cts "$T/lh" attendance import --meeting "$m" "$A/le-havre.csv" --create-missing >/dev/null
for h in re lh; do expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$REPO"; done
cts "$T/lh" member add --last-name DURAND --first-name Claire --organisation X --college usagers >/dev/null
expect_status 0 "$CTSNODE" --home "$T/lh" sync

# The pack of le-havre's first push becomes loose objects: its branch tip
# (second push) stays in a pack, its parent is loose.
parent=$(git --git-dir="$REPO" rev-parse nodes/lh-secretariat~1)
for idx in "$REPO"/objects/pack/pack-*.idx; do
	git show-index <"$idx" | grep -q " $parent" && old=${idx%.idx} && break
done
mv "$old.pack" "$T/old.pack"
rm "$old.idx"
git --git-dir="$REPO" unpack-objects -q <"$T/old.pack"
loose=$(find "$REPO/objects" -path '*/objects/[0-9a-f][0-9a-f]/*' -type f | wc -l)
[ "$loose" -gt 0 ] || fail "aucun objet isolé dans le dépôt"
git --git-dir="$REPO" fsck --no-progress 2>/dev/null || fail "dépôt de départ invalide"
cp -a "$T/region" "$T/region-before"
cp -a "$REPO" "$T/repo0.git"
pass "dépôt régional : $(ls "$REPO"/objects/pack/*.pack | wc -l) paquets et $loose objets isolés"

packs_of() { (cd "$1/objects/pack" && ls pack-*.pack 2>/dev/null | sort) || true; }
# libgit2's state released at every object read (cts_gitrepo_release_every)
CTSNODE_TEST_GIT_RELEASE_EVERY=1 expect_status 0 "$CTSNODE" --home "$T/region" region pull
common=$(comm -12 <(packs_of "$REPO") <(packs_of "$T/region/repo.git"))
[ -n "$common" ] || fail "les paquets du dossier n'ont pas été copiés"
[ -z "$(ls "$T/region/repo.git/objects/pack" | grep tmp_seed_ || true)" ] || fail "fichiers temporaires restés"
for h in re lh; do
	cts "$T/$h" sync >/dev/null
	assert_eq "$(tdigest "$T/$h" "$T/region")" "$(tdigest "$T/$h")" "empreinte du territoire de $h"
done
assert_eq "$(cts "$T/region" member list --json | jq 'map(select(.last_name == "DURAND")) | length')" 1 \
	"le membre du dernier envoi"
pass "premier pull : paquets copiés, objets isolés repris, mêmes empreintes"

# The audit, with libgit2's state released at every object read, and as
# shipped: the same verdict (no finding) and the same report.
CTSNODE_TEST_GIT_RELEASE_EVERY=1 expect_status 0 "$CTSNODE" audit --json "$REPO"
every=$(echo "$OUT" | jq -S 'del(.duration_ms, .elapsed_ms)')
expect_status 0 "$CTSNODE" audit --json "$REPO"
assert_eq "$every" "$(echo "$OUT" | jq -S 'del(.duration_ms, .elapsed_ms)')" "rapport d'audit"
assert_eq "$(echo "$OUT" | jq '.findings | length')" 0 "constats de l'audit"
pass "audit : même rapport en relâchant libgit2 à chaque lecture"

# A damaged pack: refused, nothing copied, the good folder then works.
BAD="$T/bad.git"
cp -a "$T/repo0.git" "$BAD"
big=$(ls -S "$BAD"/objects/pack/pack-*.pack | head -1)
chmod u+w "$big"
size=$(stat -c %s "$big")
# flip every bit of the middle byte: writing a fixed byte would leave the
# pack intact whenever it already held that byte (1 run in 256)
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$big" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 255)))" | dd of="$big" bs=1 seek=$((size / 2)) conv=notrunc status=none
[ "$(od -An -tu1 -j $((size / 2)) -N1 "$big" | tr -d ' ')" -eq $((byte ^ 255)) ] || fail "octet du paquet non modifié"
cp -a "$T/region-before" "$T/r-bad"
set +e
"$CTSNODE" --home "$T/r-bad" region pull --remote "$BAD" >"$T/bad.out" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "un paquet abîmé a été accepté"
assert_contains "$(cat "$T/bad.out")" "somme de contrôle fausse"
assert_contains "$(cat "$T/bad.out")" "$(basename "$big")"
assert_eq "$(comm -12 <(packs_of "$BAD") <(packs_of "$T/r-bad/repo.git") | wc -l)" 0 "paquets copiés du dossier abîmé"
[ -z "$(ls "$T/r-bad/repo.git/objects/pack" | grep tmp_seed_ || true)" ] || fail "fichiers temporaires restés (paquet abîmé)"
cp -a "$T/repo0.git" "$T/good.git"
expect_status 0 "$CTSNODE" --home "$T/r-bad" region pull --remote "$T/good.git"
assert_eq "$(tdigest "$T/re" "$T/r-bad")" "$(tdigest "$T/re")" "empreinte après le paquet abîmé"
pass "paquet abîmé : refusé avec son nom, rien de copié ; le bon dossier ensuite"

# Killed at each crash point of the copy (the marker of a copy under way,
# one between each pack and its index, the end) and at the first ones
# after it, then pulled again. (The whole pull's crash points are
# tests/e2e/t_crash.sh's.)
npacks=$(packs_of "$T/repo0.git" | wc -l)
halfway=0
for k in $(seq 1 $((npacks + 8))); do
	rm -rf "$T/r-crash" "$T/crash.git"
	cp -a "$T/region-before" "$T/r-crash"
	cp -a "$T/repo0.git" "$T/crash.git"
	rc=$(run_crashing "$k" "$CTSNODE" --home "$T/r-crash" region pull --remote "$T/crash.git")
	assert_eq "$rc" 137 "arrêt au point $k"
	for p in $(packs_of "$T/r-crash/repo.git"); do
		[ -e "$T/r-crash/repo.git/objects/pack/${p%.pack}.idx" ] || halfway=$((halfway + 1))
	done
	expect_status 0 "$CTSNODE" --home "$T/r-crash" region pull --remote "$T/crash.git"
	assert_eq "$(tdigest "$T/lh" "$T/r-crash")" "$(tdigest "$T/lh")" "empreinte après arrêt au point $k"
	assert_eq "$(cts "$T/r-crash" status --json | jq '.incidents | length')" 0 "constats après arrêt au point $k"
	[ -z "$(ls "$T/r-crash/repo.git/objects/pack" | grep tmp_seed_ || true)" ] || fail "fichiers temporaires restés (point $k)"
	for p in $(packs_of "$T/r-crash/repo.git"); do
		[ -e "$T/r-crash/repo.git/objects/pack/${p%.pack}.idx" ] || fail "paquet $p sans index (point $k)"
	done
done
assert_eq "$halfway" "$npacks" "arrêts entre un paquet et son index"
pass "premier pull tué à ses $((npacks + 8)) premiers points d'arrêt (la copie) puis repris : mêmes empreintes, aucun constat"
