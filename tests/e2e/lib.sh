# Shared helpers for the end-to-end tests. Each test sources this file;
# ctest sets CTSNODE (the binary) and CTS_TEST_DATA (tests/data).
set -euo pipefail

: "${CTSNODE:?CTSNODE must point to the ctsnode binary}"
: "${CTS_TEST_DATA:?CTS_TEST_DATA must point to tests/data}"

T=$(mktemp -d /tmp/cts-e2e-XXXXXX)
export CTSNODE_KDF_FAST=1          # fast Argon2id parameters for tests
unset CTSNODE_HOME CTSNODE_PASSPHRASE
_cleanup_hooks=()
_cleanup() {
	local rc=$?
	for h in "${_cleanup_hooks[@]}"; do eval "$h" || true; done
	if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(fichiers du test gardés dans $T)" >&2; fi
}
trap _cleanup EXIT
on_exit() { _cleanup_hooks+=("$1"); }

fail() { echo "ÉCHEC : $*" >&2; exit 1; }

# CTS_VALGRIND=1: every ctsnode run of the test goes through valgrind
# memcheck (tools/valgrind-e2e.sh); any memory error or definite leak
# makes the command exit 99, which fails the test.
if [ -n "${CTS_VALGRIND:-}" ]; then
	_real=$CTSNODE
	cat >"$T/.ctsnode-valgrind" <<VG
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --suppressions="$(dirname "${BASH_SOURCE[0]}")/../valgrind.supp" "$_real" "\$@"
VG
	chmod +x "$T/.ctsnode-valgrind"
	CTSNODE="$T/.ctsnode-valgrind"
fi
pass() { echo "ok - $*"; }

# cts HOME args...: run ctsnode on a home
cts() { local h=$1; shift; "$CTSNODE" --home "$h" "$@"; }

# expect_status N cmd...: run, check the exit status, keep output in $OUT / $ERR
expect_status() {
	local want=$1; shift
	set +e
	"$@" >"$T/.out" 2>"$T/.err"
	local got=$?
	set -e
	OUT=$(cat "$T/.out"); ERR=$(cat "$T/.err")
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout"; cat "$T/.out"; echo "--- stderr"; cat "$T/.err"
		fail "« $* » a rendu $got au lieu de $want"
	fi
}

assert_eq() { [ "$1" == "$2" ] || fail "${3:-valeur} : attendu « $2 », obtenu « $1 »"; }
assert_contains() { case "$1" in *"$2"*) ;; *) fail "${3:-sortie} ne contient pas « $2 » : $1";; esac; }

# A region and territory nodes without passphrase.
make_region() { # HOME REGION NODE
	cts "$1" region init --region "$2" --node "$3" --no-passphrase >/dev/null
}
make_territory() { # HOME TERRITORY NODE AUTHORITY_HOME
	local key
	key=$(cts "$4" key show | awk '{print $1" "$2}')
	cts "$1" init --territory "$2" --node "$3" --authority-key "$key" --no-passphrase >/dev/null
}

# The digest of HOME's own territory (status territory_digests), as REF
# (default HOME) holds it: a territory's device and the region compare this
# (issue 16 point 7: a device holds only its territory and the region's data).
tdigest() { # HOME [REF]
	local t
	t=$(cts "$1" status --json | jq -r .territory)
	cts "${2:-$1}" status --json | jq -r --arg t "$t" '.territory_digests[$t] // "absent"'
}
# allowed_signers built from a node's registry
signers_of() { cts "$1" region allowed-signers; }

# verify every changeset under DIR/changesets with stock ssh-keygen
verify_all_with_ssh_keygen() { # DIR ALLOWED_SIGNERS
	local n=0 f node vt
	for f in "$1"/changesets/*/*.json; do
		node=$(basename "$(dirname "$f")")
		# At the sealing time, so that revoked keys still verify their earlier work.
		vt=$(jq -r .time "$f" | tr -d -- '-:T')
		ssh-keygen -Y verify -f "$2" -I "$node" -n cts-changeset -s "$f.sig" -Overify-time="$vt" <"$f" >/dev/null 2>&1 ||
			fail "ssh-keygen refuse $f"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "aucun changeset à vérifier dans $1"
	echo "$n"
}

# The interchange folder of a home, HOME.x, written afresh by `export`
# (its signed history as changesets/<node>/<seq>.json + .sig, the folder
# `import DIR` reads); prints its path.
xdir() { # HOME
	local d="$1.x"
	rm -rf "$d"
	cts "$1" export "$d" >/dev/null || fail "export de $1"
	echo "$d"
}

# copy one changeset (and its signature) from a home into a drop folder
drop_changeset() { # HOME NODE SEQ DEST
	local rel x
	rel=$(printf 'changesets/%s/%012d.json' "$2" "$3")
	x=$(xdir "$1")
	mkdir -p "$4/changesets/$2"
	cp "$x/$rel" "$x/$rel.sig" "$4/changesets/$2/"
}

# ed25519_line HEX: "ssh-ed25519 AAAA..." carrying the 32 bytes HEX as the
# key, whatever they are (tests of keys that must be refused).
ed25519_line() {
	python3 -c 'import base64, struct, sys
s = lambda b: struct.pack(">I", len(b)) + b
print("ssh-ed25519 " + base64.b64encode(s(b"ssh-ed25519") + s(bytes.fromhex(sys.argv[1]))).decode())' "$1"
}
ZERO_KEY_HEX=0000000000000000000000000000000000000000000000000000000000000000
IDENTITY_KEY_HEX=0100000000000000000000000000000000000000000000000000000000000000

# A free TCP port on 127.0.0.1 (nothing answers on it).
free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	fail "aucun port libre"
}

# wait_port PORT: until something listens (bounded: 10 s)
wait_port() {
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "le serveur n'écoute pas sur le port $1"
}

# sshd_start DIR: a real OpenSSH server on 127.0.0.1 (key authentication
# only; stopped at exit) with its keys in DIR; sets SSHD_PORT and exports
# CTSNODE_SSH_KEY and CTSNODE_SSH_KNOWN_HOSTS for ctsnode.
sshd_start() {
	local S=$1 pid
	ssh-keygen -q -t ed25519 -N '' -f "$S/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$S/client_key"
	cp "$S/client_key.pub" "$S/authorized_keys"
	SSHD_PORT=$(free_port)
	[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || sudo mkdir -p /run/sshd
	cat >"$S/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
AuthorizedKeysFile $S/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PidFile $S/sshd.pid
LogLevel ERROR
CFG
	/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>"$T/sshd.log" &
	pid=$!
	on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_port "$SSHD_PORT"
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$S/host_key.pub")" >"$S/known_hosts"
	export CTSNODE_SSH_KEY="$S/client_key" CTSNODE_SSH_KNOWN_HOSTS="$S/known_hosts"
}

# git_daemon_start DIR: git daemon serving DIR (push allowed) on 127.0.0.1,
# stopped at exit; sets DAEMON_PORT.
git_daemon_start() {
	local pid
	DAEMON_PORT=$(free_port)
	git daemon --reuseaddr --base-path="$1" --export-all --enable=receive-pack \
		--listen=127.0.0.1 --port="$DAEMON_PORT" "$1" >"$T/daemon.log" 2>&1 &
	pid=$!
	on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_port "$DAEMON_PORT"
}

# openssh_key HOME OUT: the node's (unencrypted) key as an OpenSSH private
# key file, so that stock ssh-keygen -Y sign and git commit -S can sign
# as that node (a stolen key, in the attack scenarios).
openssh_key() {
	python3 - "$1/node.key" "$2" <<'PY'
import base64, os, struct, sys
f = dict(l.split(' ', 1) for l in open(sys.argv[1]).read().splitlines()[1:])
seed = bytes.fromhex(f['seed'])
blob = base64.b64decode(f['public'].split()[1])
def s(b): return struct.pack('>I', len(b)) + b
priv = struct.pack('>II', 7, 7) + s(b'ssh-ed25519') + s(blob[-32:]) + s(seed + blob[-32:]) + s(b'ctsnode')
priv += bytes(range(1, 1 + (-len(priv)) % 8))
data = b'openssh-key-v1\0' + s(b'none') + s(b'none') + s(b'') + struct.pack('>I', 1) + s(blob) + s(priv)
b64 = base64.b64encode(data).decode()
text = '-----BEGIN OPENSSH PRIVATE KEY-----\n' + '\n'.join(b64[i:i + 70] for i in range(0, len(b64), 70)) + '\n-----END OPENSSH PRIVATE KEY-----\n'
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, text.encode())
os.close(fd)
PY
}

# tree_with REPO PARENT SRCDIR REL...: a tree (printed) holding PARENT's
# files (a commit, or "" for none) plus the files REL from SRCDIR/REL.
tree_with() {
	local repo=$1 parent=$2 src=$3 idx="$T/.idx" blob rel
	shift 3
	rm -f "$idx"
	[ -z "$parent" ] || GIT_INDEX_FILE="$idx" git --git-dir="$repo" read-tree "$parent"
	for rel in "$@"; do
		blob=$(git --git-dir="$repo" hash-object -w "$src/$rel")
		GIT_INDEX_FILE="$idx" git --git-dir="$repo" update-index --add --cacheinfo "100644,$blob,$rel"
	done
	GIT_INDEX_FILE="$idx" git --git-dir="$repo" write-tree
}

# signed_commit REPO PARENT KEYFILE NODE SRCDIR REL...: a commit (printed)
# of tree_with REPO PARENT SRCDIR REL..., signed in git's SSH format with
# KEYFILE by stock git. The ref is left alone.
signed_commit() {
	local repo=$1 parent=$2 keyf=$3 node=$4 tree
	shift 4
	tree=$(tree_with "$repo" "$parent" "$@")
	git --git-dir="$repo" -c gpg.format=ssh -c user.signingkey="$keyf" -c user.name="$node" \
		-c user.email=ctsnode@invalid commit-tree -S "$tree" ${parent:+-p "$parent"} -m "$node : changeset"
}

# enroll_territories REGION_HOME SPEC...: for each SPEC "DIR:TERRITORY:NODE",
# a territory node in $T/DIR, enrolled by the region.
enroll_territories() {
	local region=$1 spec h terr node key
	shift
	for spec in "$@"; do
		IFS=: read -r h terr node <<<"$spec"
		make_territory "$T/$h" "$terr" "$node" "$region"
		key=$(cts "$T/$h" key show | awk '{print $1" "$2}')
		cts "$region" region enroll --node "$node" --territory "$terr" --key "$key" >/dev/null
	done
}

# rewind_to_origin REPO AUTHORITY NODE...: the branches of NODE... deleted,
# the authority's branch and the region branch back to their first commit:
# a whole repository wound back to a consistent past.
rewind_to_origin() {
	local repo=$1 auth=$2 n b
	shift 2
	for n in "$@"; do git --git-dir="$repo" update-ref -d "refs/heads/nodes/$n"; done
	for b in "nodes/$auth" region; do
		git --git-dir="$repo" update-ref "refs/heads/$b" "$(git --git-dir="$repo" rev-list --max-parents=0 "$b")"
	done
}

# canonical_changeset OUT NODE TERRITORY SEQ PREV_FILE|"" SEEN_JSON OPS_JSON:
# a changeset file written with jq alone (sorted keys, compact: RFC 8785
# for this value domain), prev = sha256sum of PREV_FILE.
canonical_changeset() {
	local prev=null
	[ -z "$5" ] || prev="\"$(sha256sum <"$5" | cut -d' ' -f1)\""
	mkdir -p "$(dirname "$1")"
	jq -cS -n --arg node "$2" --arg terr "$3" --argjson seq "$4" --argjson prev "$prev" \
		--argjson seen "$6" --argjson ops "$7" --arg time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		'{v: 1, node: $node, territory: $terr, seq: $seq, prev: $prev, time: $time, seen: $seen, ops: $ops}' >"$1"
}

# fork_op NODE SEQ FILE_A SIG_A FILE_B SIG_B: a one-op JSON array putting a
# fork record (docs/FORMAT.md) of NODE n°SEQ with the two versions, in
# this order, as jq writes it (needs CTS_CRAFT for the derived id).
fork_op() {
	jq -cn --arg node "$1" --argjson seq "$2" --arg rid "$("$CTS_CRAFT" --derived-id "fork:$1:$2")" \
		--arg hlc "$(printf '%012x0000' "$(($(date +%s) * 1000))")" \
		--arg ia "$(sha256sum <"$3" | cut -d' ' -f1)" --arg ib "$(sha256sum <"$5" | cut -d' ' -f1)" \
		--rawfile ba "$3" --rawfile sa "$4" --rawfile bb "$5" --rawfile sb "$6" \
		'[{hlc: $hlc, op: "put", table: "fork", id: $rid, set: {node: $node, seq: $seq,
		   id_a: $ia, id_b: $ib, sig_a: $sa, sig_b: $sb, body_a: $ba, body_b: $bb}}]'
}
# id_order FILE_A FILE_B: "FILE_A FILE_B" or "FILE_B FILE_A", lower id first
id_order() {
	if [[ "$(sha256sum <"$1")" < "$(sha256sum <"$2")" ]]; then echo "$1 $2"; else echo "$2 $1"; fi
}

# Tampering with copies of a repository (t_audit.sh, t_accept_parity.sh).
# commit_paths REPO BRANCH SRCDIR REL...: one unsigned commit on BRANCH (created
# if absent) adding or replacing files REL taken from SRCDIR/REL.
commit_paths() {
	local repo=$1 br=$2 src=$3 base tree commit
	shift 3
	base=$(git --git-dir="$repo" rev-parse -q --verify "refs/heads/$br" || true)
	tree=$(tree_with "$repo" "$base" "$src" "$@")
	commit=$(git --git-dir="$repo" -c user.name=x -c user.email=x@invalid commit-tree "$tree" ${base:+-p "$base"} -m falsification)
	git --git-dir="$repo" update-ref "refs/heads/$br" "$commit"
}
# extract REPO BRANCH NODE SEQ DIR: the changeset and its signature into DIR.
extract() {
	local rel
	rel=$(printf 'changesets/%s/%012d.json' "$3" "$4")
	mkdir -p "$5/$(dirname "$rel")"
	git --git-dir="$1" cat-file blob "$2:$rel" >"$5/$rel"
	git --git-dir="$1" cat-file blob "$2:$rel.sig" >"$5/$rel.sig"
}

# The exit status of CMD... killed (SIGKILL) at its K-th crash point
# (CTSNODE_TEST_CRASH_AT, src/base/crashpoint.h); its output is dropped.
run_crashing() { # K CMD...: exit status of the command killed at point K
	set +e
	CTSNODE_TEST_CRASH_AT=$1 "${@:2}" >/dev/null 2>&1
	local rc=$?
	set -e
	echo "$rc"
}
