# The multi-node sync scenario over git:// against a real `git daemon`
# on 127.0.0.1, started and stopped by this test.
. "$CTS_E2E_LIB"

S="$T/srv"; mkdir -p "$S"
git init -q --bare "$S/region.git"
git_daemon_start "$S"
port=$DAEMON_PORT
CTS_SYNC_URL="git://127.0.0.1:$port/region.git" CTS_SYNC_SHORT=1 bash "$(dirname "$CTS_E2E_LIB")/t_sync.sh"
# The daemon really served the data.
git --git-dir="$S/region.git" rev-parse -q --verify refs/heads/region >/dev/null || fail "rien n'a été poussé par git://"
pass "synchronisation par git:// (git daemon sur 127.0.0.1:$port)"
