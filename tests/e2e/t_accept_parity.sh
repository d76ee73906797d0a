# One set of acceptance rules (issue 15 point 3): the importer and the
# audit judge the same repositories alike. A clean repository and tampered
# copies of it (crafted changesets appended to node branches) are judged
# twice: by the audit (`audit --json`: findings and notices of acceptance
# kinds) and by the importer of a fresh node that imports the tips of the
# node branches (`import`, then `status --json`: refused, pending, held,
# ignored). Per node, the first changeset each side does not accept and
# its class (refused, pending, held, ignored) must be the same: a rule
# changed on one side only shows here.
#
# Known difference, by design and out of this comparison: the audit also
# checks every op's HLC against the changeset's own sealing time
# (future_hlc); the importer compares with its wall clock (held).
. "$CTS_E2E_LIB"
: "${CTS_CRAFT:?CTS_CRAFT must point to the cts_craft test tool}"
REPO="$T/region.git"
seqfile() { printf 'changesets/%s/%012d.json' "$1" "$2"; }
hlc_of() { printf '%012x0000' "$1"; }
NOW_MS=$(($(date +%s) * 1000))
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# ---- the clean repository: a region, three territories ----
make_region "$T/region" normandie region-normandie
enroll_territories "$T/region" re:rouen-elbeuf:re-secretariat lh:le-havre:lh-secretariat dp:dieppe:dp-secretariat
expect_status 0 "$CTSNODE" --home "$T/region" region pull --remote "$REPO"
for h in re lh dp; do
	cts "$T/$h" member add --last-name "NOM-$h" --first-name Claire --organisation X --college usagers >/dev/null
	expect_status 0 "$CTSNODE" --home "$T/$h" sync --remote "$REPO"
done
for i in 2 3; do
	cts "$T/dp" member add --last-name "DURAND$i" --first-name Claire --organisation X --college usagers >/dev/null
	expect_status 0 "$CTSNODE" --home "$T/dp" sync
done
cts "$T/re" member add --last-name TEMOIN --first-name Paul --organisation X --college etat >/dev/null
expect_status 0 "$CTSNODE" --home "$T/re" sync
expect_status 0 "$CTSNODE" --home "$T/region" region pull
# The importing node: a fresh node that knows only the authority's key.
make_territory "$T/observer" dieppe observateur "$T/region"

# ---- tampering (commit_paths and extract: lib.sh) ----
fresh() { rm -rf "$T/cases/$1"; mkdir -p "$T/cases/$1"; cp -a "$REPO" "$T/cases/$1/repo.git"; echo "$T/cases/$1/repo.git"; }
# craft KEY NODE TERRITORY SEQ PREV_FILE OPS OUT [craft options...]
craft() {
	local key=$1 node=$2 terr=$3 seq=$4 prev=$5 ops=$6 out=$7
	shift 7
	"$CTS_CRAFT" --key "$key" --node "$node" --territory "$terr" --seq "$seq" --prev-from "$prev" \
		--time "$NOW" --ops "$ops" --out "$out" "$@" >/dev/null
}
member_ops() { # FILE NAME [COLLEGE]
	printf '[{"hlc":"%s","op":"put","table":"member","id":"%s","set":{"last_name":"%s","first_name":"X","organisation":"Y","college":"%s"}}]' \
		"$(hlc_of "$NOW_MS")" "$(cat /proc/sys/kernel/random/uuid)" "$2" "${3:-etat}" >"$1"
}
# publish REPO NODE SEQ SRCDIR: the changeset and its signature on the node's branch
publish() { commit_paths "$1" "nodes/$2" "$4" "$(seqfile "$2" "$3")" "$(seqfile "$2" "$3").sig"; }
DPKEY="$T/dp/node.key"
RSEQ=$(git --git-dir="$REPO" ls-tree --name-only nodes/region-normandie changesets/region-normandie/ | grep -c '\.json$')

# ---- the two verdicts ----
# Per node, the first changeset not accepted: "node seq class", sorted.
first_per_node() { sort -k1,1 -k2,2n | awk '!seen[$1]++' | sort; }
audit_verdict() { # REPO
	set +e
	"$CTSNODE" audit "$1" --json >"$1.audit.json" 2>"$1.audit.err"
	set -e
	jq -r '
		def class: if .kind == "revoked_ignored" then "ignored"
			elif .kind == "unknown_signer" then "pending" else "refused" end;
		[(.findings // [])[], (.notices // [])[]]
		| map(select(.kind as $k | ["bad_signature", "missing_signature", "non_canonical", "invalid_changeset",
			"misplaced_changeset", "wrong_territory", "broken_chain", "unauthorized_table", "invalid_value",
			"registry_violation", "fork", "bad_fork_evidence", "revoked_ignored", "unknown_signer"] | index($k)))
		| .[] | "\(.node) \(.seq // 1) \(class)"' "$1.audit.json" | first_per_node
}
import_verdict() { # REPO
	local home="$1.importer" dir="$1.tips" br node
	rm -rf "$home" "$dir"
	cp -a "$T/observer" "$home"
	mkdir -p "$dir/changesets"
	for br in $(git --git-dir="$1" for-each-ref --format='%(refname:short)' refs/heads/nodes/); do
		node=${br#nodes/}
		git --git-dir="$1" ls-tree -r --name-only "$br" "changesets/$node/" | while read -r rel; do
			mkdir -p "$dir/$(dirname "$rel")"
			git --git-dir="$1" cat-file blob "$br:$rel" >"$dir/$rel"
		done
	done
	set +e # 1: something was refused
	"$CTSNODE" --home "$home" import "$dir" >"$home.out" 2>&1
	local rc=$?
	set -e
	[ "$rc" -le 1 ] || fail "import du cas $1 : code $rc ($(cat "$home.out"))"
	cts "$home" status --json | jq -r '
		(.refused[] | "\(.node) \(.seq) refused"), (.pending[] | "\(.node) \(.seq) pending"),
		(.held[] | "\(.node) \(.seq) held"), (.ignored[] | "\(.node) \(.first) ignored")' | first_per_node
}
# compare CASE DESCRIPTION REPO EXPECTED: both sides equal, and equal to EXPECTED
compare() {
	local a i
	a=$(audit_verdict "$3")
	i=$(import_verdict "$3")
	[ "$a" == "$i" ] || fail "cas $1 ($2) : l'audit et l'import ne jugent pas pareil"$'\n'"audit : $a"$'\n'"import : $i"
	assert_eq "$i" "$4" "cas $1 ($2)"
	echo "ok - cas $1 ($2) : ${i:-tout accepté}"
}

compare 0 "dépôt propre" "$REPO" ""

R=$(fresh 1); X="$T/cases/1/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
member_ops "$X/ops.json" VOLEE
craft "$DPKEY" dp-secretariat dieppe 4 "$X/$(seqfile dp-secretariat 3)" "$X/ops.json" "$X"
cp "$X/$(seqfile dp-secretariat 3).sig" "$X/$(seqfile dp-secretariat 4).sig"
publish "$R" dp-secretariat 4 "$X"
compare 1 "signature d'un autre changeset" "$R" "dp-secretariat 4 refused"

R=$(fresh 2); X="$T/cases/2/files"
extract "$R" nodes/lh-secretariat lh-secretariat 1 "$X"
member_ops "$X/ops.json" INTRUS
craft "$T/lh/node.key" lh-secretariat rouen-elbeuf 2 "$X/$(seqfile lh-secretariat 1)" "$X/ops.json" "$X"
publish "$R" lh-secretariat 2 "$X"
compare 2 "territoire d'un autre" "$R" "lh-secretariat 2 refused"

R=$(fresh 3); X="$T/cases/3/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
member_ops "$X/ops.json" VALEUR evil-college
craft "$DPKEY" dp-secretariat dieppe 4 "$X/$(seqfile dp-secretariat 3)" "$X/ops.json" "$X"
publish "$R" dp-secretariat 4 "$X"
compare 3 "valeur contraire aux règles" "$R" "dp-secretariat 4 refused"

R=$(fresh 4); X="$T/cases/4/files"
extract "$R" nodes/dp-secretariat dp-secretariat 2 "$X"
member_ops "$X/ops.json" CHAINE
craft "$DPKEY" dp-secretariat dieppe 4 "$X/$(seqfile dp-secretariat 2)" "$X/ops.json" "$X"
publish "$R" dp-secretariat 4 "$X"
compare 4 "« prev » vers un autre changeset" "$R" "dp-secretariat 4 refused"

R=$(fresh 5); X="$T/cases/5/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
printf '[{"hlc":"%s","op":"put","table":"theme","id":"%s","set":{"code":"t1","label":"Thème"}}]' \
	"$(hlc_of "$NOW_MS")" "$(cat /proc/sys/kernel/random/uuid)" >"$X/ops.json"
craft "$DPKEY" dp-secretariat dieppe 4 "$X/$(seqfile dp-secretariat 3)" "$X/ops.json" "$X"
publish "$R" dp-secretariat 4 "$X"
compare 5 "un territoire écrit une table de la région" "$R" "dp-secretariat 4 refused"

R=$(fresh 6); X="$T/cases/6/files"
extract "$R" nodes/region-normandie region-normandie "$RSEQ" "$X"
member_ops "$X/ops.json" AUTORITE
craft "$T/region/node.key" region-normandie normandie $((RSEQ + 1)) "$X/$(seqfile region-normandie "$RSEQ")" "$X/ops.json" "$X"
publish "$R" region-normandie $((RSEQ + 1)) "$X"
compare 6 "l'autorité écrit une table des territoires" "$R" "region-normandie $((RSEQ + 1)) refused"

R=$(fresh 7); X="$T/cases/7/files"
extract "$R" nodes/region-normandie region-normandie "$RSEQ" "$X"
printf '[{"hlc":"%s","op":"put","table":"registry","id":"%s","set":{"node":"lh-secretariat","territory_code":"le-havre","role":"territory","key":"%s"}}]' \
	"$(hlc_of "$NOW_MS")" "$("$CTS_CRAFT" --derived-id registry:lh-secretariat)" \
	"$(cts "$T/dp" key show | awk '{print $1" "$2}')" >"$X/ops.json"
craft "$T/region/node.key" region-normandie normandie $((RSEQ + 1)) "$X/$(seqfile region-normandie "$RSEQ")" "$X/ops.json" "$X"
publish "$R" region-normandie $((RSEQ + 1)) "$X"
compare 7 "l'autorité change la clé d'un inscrit" "$R" "region-normandie $((RSEQ + 1)) refused"

R=$(fresh 8); X="$T/cases/8/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
prev=$(sha256sum <"$X/$(seqfile dp-secretariat 3)" | cut -d' ' -f1)
cat >"$X/raw.json" <<EOF
{ "v": 1, "node": "dp-secretariat", "territory": "dieppe", "seq": 4, "prev": "$prev", "time": "$NOW", "seen": {},
  "ops": [{"hlc": "$(hlc_of "$NOW_MS")", "op": "put", "table": "member", "id": "$(cat /proc/sys/kernel/random/uuid)",
           "set": {"last_name": "ESPACES", "first_name": "X", "organisation": "Y", "college": "etat"}}] }
EOF
"$CTS_CRAFT" --key "$DPKEY" --node dp-secretariat --seq 4 --raw "$X/raw.json" --out "$X" >/dev/null
publish "$R" dp-secretariat 4 "$X"
compare 8 "JSON non canonique bien signé" "$R" "dp-secretariat 4 refused"

R=$(fresh 9)
cp -a "$T/region" "$T/cases/9/region"; cp -a "$T/dp" "$T/cases/9/dp"
cts "$T/cases/9/region" region revoke --node dp-secretariat --after-seq 3 >/dev/null
expect_status 0 "$CTSNODE" --home "$T/cases/9/region" region pull --remote "$R"
cts "$T/cases/9/dp" member add --last-name APRES --first-name Revocation --organisation X --college etat >/dev/null
"$CTSNODE" --home "$T/cases/9/dp" sync --remote "$R" >/dev/null 2>&1 || true
compare 9 "clé révoquée utilisée après son dernier n°" "$R" "dp-secretariat 4 ignored"

R=$(fresh 10); X="$T/cases/10/files"
extract "$R" nodes/dp-secretariat dp-secretariat 3 "$X"
extract "$R" nodes/re-secretariat re-secretariat 2 "$X"
for v in UN DEUX; do
	member_ops "$X/ops.json" "$v"
	craft "$DPKEY" dp-secretariat dieppe 4 "$X/$(seqfile dp-secretariat 3)" "$X/ops.json" "$X/$v"
done
read -r lo hi <<<"$(id_order "$X/UN/$(seqfile dp-secretariat 4)" "$X/DEUX/$(seqfile dp-secretariat 4)")"
fork_op dp-secretariat 4 "$lo" "$lo.sig" "$hi" "$hi.sig" >"$X/fork.json"
craft "$T/re/node.key" re-secretariat rouen-elbeuf 3 "$X/$(seqfile re-secretariat 2)" "$X/fork.json" "$X"
publish "$R" dp-secretariat 4 "$X/UN"
publish "$R" re-secretariat 3 "$X"
compare 10 "bifurcation connue par une preuve" "$R" "dp-secretariat 4 refused"

R=$(fresh 11)
make_territory "$T/cases/11/ghost" dieppe dp-fantome "$T/region"
cts "$T/cases/11/ghost" member add --last-name FANTOME --first-name X --organisation X --college etat >/dev/null
"$CTSNODE" --home "$T/cases/11/ghost" sync --remote "$R" >/dev/null 2>&1 || true
compare 11 "signataire jamais inscrit" "$R" "dp-fantome 1 pending"

pass "l'import et l'audit jugent le corpus de falsifications de la même façon"
