# A hostile regional repository: huge blobs, deep trees, odd names ("..",
# control characters, very long, non-UTF-8), symlinks, submodules, wrong
# object types, non-UTF-8 changesets, odd branch names. Nodes handle it
# with bounded memory and clear findings, and write nothing outside their
# home.
. "$CTS_E2E_LIB"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
cts "$T/region" region enroll --node re-secretariat --territory rouen-elbeuf \
	--key "$(cts "$T/re" key show | awk '{print $1" "$2}')" >/dev/null
# evil-node is enrolled in re's territory, so that re fetches its branch
# (a territory's device reads only its territory's nodes, issue 16 point 7).
ssh-keygen -q -t ed25519 -N '' -f "$T/evil_key"
cts "$T/region" region enroll --node evil-node --territory rouen-elbeuf --key "$(awk '{print $1" "$2}' "$T/evil_key.pub")" >/dev/null
cts "$T/region" region pull >/dev/null
cts "$T/re" member add --last-name GESLIN --first-name Annie --organisation UDAF --college usagers >/dev/null
cts "$T/re" sync --remote "$REPO" >/dev/null

G="git --git-dir=$REPO"
big=$(head -c 200000000 /dev/zero | $G hash-object -w --stdin)
bad=$(printf '{"v":1,"node":"evil-node","ops":["\xff\xfe"]}\n' | $G hash-object -w --stdin)
small=$(printf 'x' | $G hash-object -w --stdin)
# A deep tree: 300 nested directories.
deep=$(printf '100644 blob %s\tleaf\n' "$small" | $G mktree)
for i in $(seq 1 300); do deep=$(printf '040000 tree %s\td\n' "$deep" | $G mktree); done
# Raw tree objects with names git itself would refuse.
rawtree() { python3 - "$@" <<'PY'
import sys, binascii
out = b""
for spec in sys.argv[1:]:
    mode, name, sha = spec.split(":", 2)
    out += mode.encode() + b" " + binascii.unhexlify(name) + b"\0" + binascii.unhexlify(sha)
sys.stdout.buffer.write(out)
PY
}
hex() { printf '%s' "$1" | od -v -An -tx1 | tr -d ' \n'; }
long=$(printf 'a%.0s' $(seq 1 300))
odd=$(rawtree "100644:$(hex ..):$small" "100644:$(hex "$long"):$small" "100644:2e6a736f6e0a:$small" \
	"100644:ff6e6f6e7574662e6a736f6e:$small" | $G hash-object -t tree --literally -w --stdin)
mixed=$(rawtree "100644:$(hex 000000000001.json):$big" "120000:$(hex 000000000002.json):$small" \
	"160000:$(hex 000000000003.json):$small" "100644:$(hex 000000000004.json):$deep" \
	"100644:$(hex 000000000005.json):$bad" "040000:$(hex 000000000006.json):$deep" | $G hash-object -t tree --literally -w --stdin)
branch() { # NAME DIR-TREE
	local node=$1 t
	t=$(printf '040000 tree %s\t%s\n' "$2" "$node" | $G mktree --missing)
	t=$(printf '040000 tree %s\tchangesets\n' "$t" | $G mktree --missing)
	$G update-ref "refs/heads/nodes/$node" "$($G -c user.name=x -c user.email=x commit-tree "$t" -m hostile)"
}
branch evil-node "$mixed"
branch evil-names "$odd"
$G update-ref refs/heads/nodes/EVIL_UPPER "$($G rev-parse nodes/evil-node)"
$G update-ref "refs/heads/nodes/deep-node" "$($G -c user.name=x -c user.email=x commit-tree "$deep" -m deep)"

touch "$T/marker"
sleep 1
limit=""
# 1 GB of address space, except under ASan (its shadow memory needs more).
# (No `ldd | grep -q`: with pipefail, grep's early exit fails the pipeline.)
case "$(ldd "$CTSNODE")" in *libasan*) ;; *) limit="ulimit -v 1000000;" ;; esac
for h in region re; do
	cmd=(region pull); [ "$h" = re ] && cmd=(sync)
	set +e
	bash -c "$limit \"\$@\"" _ "$CTSNODE" --home "$T/$h" "${cmd[@]}" >"$T/$h.out" 2>&1
	rc=$?
	set -e
	[ "$rc" -eq 1 ] || { cat "$T/$h.out"; fail "$h : code $rc (1 attendu : constats)"; }
	grep -q "CONSTAT\|REFUSÉ" "$T/$h.out" || { cat "$T/$h.out"; fail "$h : aucun constat"; }
	grep -q "trop gros" "$T/$h.out" || { cat "$T/$h.out"; fail "$h : le gros fichier n'est pas signalé"; }
done
# Legitimate data still flows.
assert_eq "$(cts "$T/region" member list --territory rouen-elbeuf --json | jq length)" 1 "données légitimes importées"
# Nothing written outside the homes and the regional repository (pushes).
outside=$(find "$T" -newer "$T/marker" -type f ! -path "$T/region/*" ! -path "$T/re/*" ! -path "$REPO/*" ! -name '*.out' ! -path "$T/.*" | head)
[ -z "$outside" ] || fail "fichiers écrits hors des dossiers des nœuds : $outside"
pass "dépôt hostile : constats clairs, mémoire bornée, rien écrit ailleurs"
