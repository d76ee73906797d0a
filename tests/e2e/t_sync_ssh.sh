# The multi-node sync scenario over ssh:// against a real OpenSSH server
# (Debian's openssh-server) on a loopback port, key authentication,
# started and stopped by this test.
. "$CTS_E2E_LIB"
# Under ASan, full malloc stacks so that tests/lsan.supp can recognise
# libgit2 1.5's SSH-transport leaks (no effect on other builds).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"

S="$T/srv"; mkdir -p "$S"
chmod 755 "$T" "$S"
git init -q --bare "$S/region.git"
sshd_start "$S"
port=$SSHD_PORT
user=$(id -un)
export GIT_SSH_COMMAND="ssh -i $S/client_key -o UserKnownHostsFile=$S/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes"
url="ssh://$user@127.0.0.1:$port$S/region.git"
CTS_SYNC_URL="$url" CTS_SYNC_SHORT=1 bash "$(dirname "$CTS_E2E_LIB")/t_sync.sh"
git --git-dir="$S/region.git" rev-parse -q --verify refs/heads/region >/dev/null || fail "rien n'a été poussé par ssh://"
pass "synchronisation par ssh:// (sshd sur 127.0.0.1:$port, clé)"

# An unknown host key is refused with a clear message, nothing is sent.
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$S/client_key.pub")" >"$S/wrong_known_hosts"
make_region "$T/r2" normandie region-deux
CTSNODE_SSH_KNOWN_HOSTS="$S/wrong_known_hosts" expect_status 2 "$CTSNODE" --home "$T/r2" region pull --remote "$url"
assert_contains "$ERR" "clé d'hôte"
pass "clé d'hôte inconnue : refus clair"
