# A server that stops answering: the exchange is abandoned after the
# no-progress timeout (CTSNODE_NET_TIMEOUT_S, a test hook; 60 s by
# default), the sync exits 4 and nothing is lost. Against real local
# processes started by this test: one that accepts connections and never
# answers (https://, git://, ssh://), and a relay in front of a real
# `git daemon` that passes the ref advertisement, then goes silent in the
# middle of the fetch.
. "$CTS_E2E_LIB"
# Under ASan, full malloc stacks so that tests/lsan.supp can recognise
# libgit2 1.5's SSH-transport leaks (no effect on other builds).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"

S="$T/srv"; mkdir -p "$S"
cat >"$S/hang.py" <<'PY'
# Accepts every connection and never sends a byte.
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
kept = []
while True:
    kept.append(s.accept()[0])
PY
cat >"$S/relay.py" <<'PY'
# Relays to a git daemon; from the server, passes pkt-lines up to the
# first flush (the ref advertisement), then stops passing anything while
# keeping both connections open.
import socket, sys, threading
lport, uport = int(sys.argv[1]), int(sys.argv[2])
def forward(src, dst):
    while True:
        d = src.recv(65536)
        if not d:
            return
        dst.sendall(d)
def from_server(up, cl):
    buf = b""
    while True:
        d = up.recv(65536)
        if not d:
            return
        buf += d
        out = b""
        while len(buf) >= 4:
            n = int(buf[:4], 16)
            if n == 0:
                cl.sendall(out + b"0000")
                sys.stderr.write("advertisement passed, now silent\n")
                sys.stderr.flush()
                threading.Event().wait()
            if len(buf) < n:
                break
            out, buf = out + buf[:n], buf[n:]
        cl.sendall(out)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", lport))
s.listen(64)
while True:
    cl = s.accept()[0]
    up = socket.create_connection(("127.0.0.1", uport))
    threading.Thread(target=forward, args=(cl, up), daemon=True).start()
    threading.Thread(target=from_server, args=(up, cl), daemon=True).start()
PY
hport=$(free_port)
python3 "$S/hang.py" "$hport" 2>"$S/hang.log" &
hpid=$!
on_exit "kill $hpid 2>/dev/null; wait $hpid 2>/dev/null"
git init -q --bare "$S/region.git"
dport=$(free_port)
git daemon --reuseaddr --base-path="$S" --export-all --enable=receive-pack \
	--listen=127.0.0.1 --port="$dport" "$S" >"$S/daemon.log" 2>&1 &
dpid=$!
on_exit "kill $dpid 2>/dev/null; wait $dpid 2>/dev/null"
rport=$(free_port)
python3 "$S/relay.py" "$rport" "$dport" 2>"$S/relay.log" &
rpid=$!
on_exit "kill $rpid 2>/dev/null; wait $rpid 2>/dev/null"
wait_port "$hport"
wait_port "$dport"
wait_port "$rport"

make_region "$T/r" normandie region-normandie
make_territory "$T/a" rouen-elbeuf re-secretariat "$T/r"
cts "$T/r" region enroll --node re-secretariat --territory rouen-elbeuf --key "$(cts "$T/a" key show | awk '{print $1" "$2}')" >/dev/null
expect_status 0 "$CTSNODE" --home "$T/r" region pull --remote "$S/region.git"

# The default stays 60 s.
assert_contains "$(cts "$T/a" remote show)" "Délai sans réponse : 60 s"

export CTSNODE_NET_TIMEOUT_S=2 CTSNODE_SSH_KNOWN_HOSTS=/dev/null
# hung URL: exit 4 well within a bound (timeout(1) would make it 124), the
# work sealed and kept.
hung() { # LABEL URL
	local seq t0 elapsed
	cts "$T/a" member add --last-name "ATTENTE-$1" --first-name Serveur --organisation X --college etat >/dev/null
	t0=$SECONDS
	expect_status 4 timeout 60 "$CTSNODE" --home "$T/a" sync --remote "$2"
	elapsed=$((SECONDS - t0))
	[ "$elapsed" -le 30 ] || fail "$1 : sync revenu en $elapsed s (délai 2 s)"
	assert_contains "$OUT" "aucune réponse depuis 2 s"
	assert_contains "$OUT" "Envoi en attente"
	assert_eq "$(cts "$T/a" status --json | jq .pending_ops)" 0 "$1 : travail scellé"
	assert_eq "$(cts "$T/a" status --json | jq .queued_push)" true "$1 : envoi en attente"
	pass "$1 : serveur muet, sync abandonné en $elapsed s (code 4), travail gardé"
}
hung https "https://localhost:$hport/region.git"
hung git "git://127.0.0.1:$hport/region.git"
hung ssh "ssh://git@127.0.0.1:$hport/srv/region.git"

# Silent in the middle of a fetch: the region has new work to send.
make_territory "$T/b" dieppe dp-secretariat "$T/r"
cts "$T/r" region enroll --node dp-secretariat --territory dieppe --key "$(cts "$T/b" key show | awk '{print $1" "$2}')" >/dev/null
CTSNODE_NET_TIMEOUT_S=60 expect_status 0 "$CTSNODE" --home "$T/r" region pull
hung "git (muet en cours de transfert)" "git://127.0.0.1:$rport/region.git"
grep -q "now silent" "$S/relay.log" || fail "le relais n'a rien transmis avant de se taire"

# Nothing lost: the same node through the daemon itself.
unset CTSNODE_NET_TIMEOUT_S
expect_status 0 "$CTSNODE" --home "$T/a" sync --remote "git://127.0.0.1:$dport/region.git"
assert_eq "$(cts "$T/a" status --json | jq .queued_push)" false "envoi livré"
expect_status 0 "$CTSNODE" --home "$T/r" region pull
assert_eq "$(cts "$T/r" member list --territory rouen-elbeuf --json | jq '[.[] | select(.last_name | startswith("ATTENTE-"))] | length')" 4 "les 4 saisies arrivent"
expect_status 0 "$CTSNODE" --home "$T/a" sync
assert_eq "$(cts "$T/a" status --json | jq -r .content_digest)" "$(cts "$T/r" status --json | jq -r .content_digest)" "empreintes"
pass "rien de perdu : tout est livré au sync suivant, mêmes empreintes"
