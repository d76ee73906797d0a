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

# copy one changeset (and its signature) from a home into a drop folder
drop_changeset() { # HOME NODE SEQ DEST
	local rel
	rel=$(printf 'changesets/%s/%012d.json' "$2" "$3")
	mkdir -p "$4/changesets/$2"
	cp "$1/$rel" "$1/$rel.sig" "$4/changesets/$2/"
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

# derived_id NAME: the record id ctsnode derives from NAME (registry:<node>,
# theme:<code> ...): SHA-256 shaped as a UUID, version nibble 8.
derived_id() {
	python3 -c 'import hashlib, sys
b = bytearray(hashlib.sha256(sys.argv[1].encode()).digest()[:16])
b[6] = (b[6] & 0x0f) | 0x80; b[8] = (b[8] & 0x3f) | 0x80
h = b.hex(); print("-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:])))' "$1"
}

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
