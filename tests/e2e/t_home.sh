# The node home: node.db and its -wal/-shm are private (0600); an archived,
# read-only copy of a home can still be consulted (status, listings,
# report, audit of the archived regional repository) without writing a
# single byte, and commands that write say the home is read-only.
#
# Tests run as root, which writes through "chmod a-w": the read-only runs
# are made as the unprivileged user "nobody" (setpriv), for whom the copy
# really is read-only; run by an ordinary user, the test uses that user.
. "$CTS_E2E_LIB"
A="$CTS_TEST_DATA/attendance"
REPO="$T/region.git"

cts "$T/region" region init --region normandie --node region-normandie --remote "$REPO" --no-passphrase >/dev/null
make_territory "$T/re" rouen-elbeuf re-secretariat "$T/region"
cts "$T/region" region enroll --node re-secretariat --territory rouen-elbeuf \
	--key "$(cts "$T/re" key show | awk '{print $1" "$2}')" >/dev/null
cts "$T/region" region pull >/dev/null
m=$(cts "$T/re" meeting add --body pleniere --date 2020-06-16 --title "Plénière")
cts "$T/re" attendance import --meeting "$m" "$A/rouen-elbeuf.csv" --create-missing >/dev/null
cts "$T/re" sync --remote "$REPO" >/dev/null
cts "$T/region" region pull >/dev/null
cts "$T/re" member add --last-name NONSCELLE --first-name Ope --organisation X --college etat >/dev/null

# ---- File modes ----
for h in region re; do
	assert_eq "$(stat -c %a "$T/$h/node.db")" 600 "droits de $h/node.db"
done
# The -wal and -shm files exist while a command runs: a command killed
# mid-way (crash-point hook) leaves them for inspection.
(CTSNODE_TEST_CRASH_AT=2 exec "$CTSNODE" --home "$T/re" member add --last-name TUE --first-name P \
	--organisation X --college etat >/dev/null 2>&1) 2>/dev/null && fail "la commande n'a pas été arrêtée"
for f in node.db-wal node.db-shm; do
	[ -e "$T/re/$f" ] || fail "$f absent après l'arrêt brutal"
	assert_eq "$(stat -c %a "$T/re/$f")" 600 "droits de $f"
done
# A database left readable by others by an older version is tightened.
chmod 644 "$T/region/node.db"
cts "$T/region" status >/dev/null
assert_eq "$(stat -c %a "$T/region/node.db")" 600 "droits resserrés à l'ouverture"
pass "node.db, node.db-wal et node.db-shm en 0600"

# ---- A read-only archived copy ----
digest=$(cts "$T/re" status --json | jq -r .content_digest)
members=$(cts "$T/re" member list --json | jq length)
report=$(cts "$T/re" report --year 2020 --format json | jq -c .region)
P="$T/pub"                       # reachable by the unprivileged user
mkdir -p "$P"
chmod 711 "$T"
cp -a "$T/re" "$P/archive"
cp -a "$REPO" "$P/region.git"
install -m 755 "$CTSNODE" "$P/ctsnode"
run_env=(env HOME=/nonexistent)
if [ -n "${LSAN_OPTIONS:-}" ] && [[ "$LSAN_OPTIONS" =~ suppressions=([^:]+) ]]; then
	cp "${BASH_REMATCH[1]}" "$P/lsan.supp"
	run_env+=("LSAN_OPTIONS=${LSAN_OPTIONS/${BASH_REMATCH[1]}/$P/lsan.supp}")
fi
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || fail "setpriv (util-linux) est nécessaire pour tester en lecture seule sous root"
	ro() { setpriv --reuid=65534 --regid=65534 --clear-groups "${run_env[@]}" "$P/ctsnode" "$@"; }
else
	ro() { "${run_env[@]}" "$P/ctsnode" "$@"; }
fi
chmod -R a+rX,a-w "$P/archive" "$P/region.git"
chmod 400 "$P/archive/node.key"
# The unprivileged user cannot write there, whatever the program does.
if [ "$(id -u)" -eq 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups touch "$P/archive/probe" 2>/dev/null && fail "la copie est modifiable"
fi
snapshot() { find "$P/archive" "$P/region.git" -printf '%p %s %m %T@\n' | sort; }
before=$(snapshot)

expect_status 0 ro --home "$P/archive" status --json
assert_eq "$(jq -r .content_digest <<<"$OUT")" "$digest" "empreinte lue en lecture seule"
assert_eq "$(jq -r .pending_ops <<<"$OUT")" 1 "opération non scellée visible"
expect_status 0 ro --home "$P/archive" status
assert_contains "$OUT" "Empreinte du contenu : $digest"
expect_status 0 ro --home "$P/archive" member list --json
assert_eq "$(jq length <<<"$OUT")" "$members" "membres listés"
expect_status 0 ro --home "$P/archive" meeting list --json
assert_eq "$(jq length <<<"$OUT")" 1 "réunions listées"
expect_status 0 ro --home "$P/archive" attendance list --meeting "$m" --json
assert_eq "$(jq length <<<"$OUT")" 40 "présences listées"
expect_status 0 ro --home "$P/archive" conflicts --json
expect_status 0 ro --home "$P/archive" report --year 2020 --format json
assert_eq "$(jq -c .region <<<"$OUT")" "$report" "même rapport"
expect_status 0 ro --home "$P/archive" report --year 2020 --format md
assert_contains "$OUT" "Rapport"
expect_status 0 ro audit "$P/region.git" --json
assert_eq "$(jq -r .ok <<<"$OUT")" true "audit du dépôt archivé"
pass "copie en lecture seule : status, listes, rapport et audit"

for cmd in "member add --last-name X --first-name Y --organisation Z --college etat" sync seal rebuild; do
	# shellcheck disable=SC2086
	expect_status 3 ro --home "$P/archive" $cmd
	assert_contains "$ERR" "lecture seule"
done
assert_eq "$(snapshot)" "$before" "rien n'a été écrit dans la copie (ni verrou, ni -wal, ni -shm)"
pass "commandes qui écrivent : « lecture seule » clairement, et rien d'écrit"
chmod -R u+w "$P"
