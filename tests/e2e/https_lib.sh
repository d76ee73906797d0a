# A real HTTPS git host for the end-to-end tests, on 127.0.0.1, run by the
# test itself (sourced after lib.sh):
#  * a test certificate authority and server certificates made with openssl;
#  * nginx (unprivileged configuration in the test folder) with TLS and HTTP
#    basic authentication (htpasswd made with openssl passwd: user oauth2,
#    password = the token) in front of git http-backend (smart HTTP, push
#    enabled) through fcgiwrap on a unix socket;
#  * tinyproxy, a real forward proxy, whose outgoing connections come from
#    127.0.0.2.
# Three HTTPS ports serve the same repositories (GIT_PROJECT_ROOT=$S/git):
#   HTTPS_PORT        certificate of CA 1 for "localhost";
#   HTTPS_PROXIED_PORT the same, but it closes every connection that does
#                      not come from 127.0.0.2 (nginx "return 444"): only
#                      the proxy gets through, as behind a firewall;
#   HTTPS_OTHER_PORT  certificate of another CA (CA 2).

# https_make_ca DIR NAME: DIR/ca.pem, DIR/ca.key
https_make_ca() {
	mkdir -p "$1"
	openssl req -x509 -utf8 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/O=Région test/CN=$2" -keyout "$1/ca.key" -out "$1/ca.pem" 2>/dev/null
}

# https_make_cert CADIR OUT CN SAN: OUT.pem, OUT.key
https_make_cert() {
	openssl req -utf8 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/O=Région test/CN=$3" -keyout "$2.key" -out "$2.csr" 2>/dev/null
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$4" >"$2.ext"
	openssl x509 -req -in "$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial -days 30 \
		-extfile "$2.ext" -out "$2.pem" 2>/dev/null
}

# Fingerprint of a PEM certificate as openssl prints it (AB:CD:...).
https_fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

_https_server_block() { # PORT CERT EXTRA
	cat <<BLOCK
  server {
    listen 127.0.0.1:$1 ssl;
    ssl_certificate $2.pem;
    ssl_certificate_key $2.key;
    $3
    auth_basic "depot regional";
    auth_basic_user_file $HTTPS_DIR/htpasswd;
    location / {
      fastcgi_pass unix:$HTTPS_DIR/fcgi.sock;
      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
      fastcgi_param GIT_PROJECT_ROOT $HTTPS_DIR/git;
      fastcgi_param GIT_HTTP_EXPORT_ALL 1;
      fastcgi_param PATH_INFO \$uri;
      fastcgi_param REMOTE_USER \$remote_user;
      fastcgi_param QUERY_STRING \$query_string;
      fastcgi_param REQUEST_METHOD \$request_method;
      fastcgi_param CONTENT_TYPE \$content_type;
      fastcgi_param CONTENT_LENGTH \$content_length;
    }
  }
BLOCK
}

# A free port below the kernel's ephemeral range: a listener there cannot
# collide with the local end of some other connection.
_https_port() {
	local low p i
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$low" -gt 12000 ] || low=32768
	for i in $(seq 1 50); do
		p=$((10000 + RANDOM % (low - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	fail "aucun port libre"
}

# https_setup DIR TOKEN: certificates, repositories root, configurations,
# then starts fcgiwrap, nginx and tinyproxy (stopped at exit).
https_setup() {
	HTTPS_DIR=$1
	local S=$1
	mkdir -p "$S/git" "$S/tmp"
	chmod 755 "$S" "$S/git"
	https_make_ca "$S/ca" "AC de test"
	https_make_ca "$S/ca2" "Autre AC"
	https_make_cert "$S/ca" "$S/server" localhost "DNS:localhost"
	https_make_cert "$S/ca2" "$S/other" localhost "DNS:localhost"
	printf 'oauth2:%s\n' "$(openssl passwd -apr1 "$2")" >"$S/htpasswd"
	HTTPS_PORT=$(_https_port)
	HTTPS_PROXIED_PORT=$(_https_port)
	HTTPS_OTHER_PORT=$(_https_port)
	PROXY_PORT=$(_https_port)
	{
		echo "user $(id -un) $(id -gn);"
		echo "worker_processes 1;"
		echo "pid $S/nginx.pid;"
		echo "error_log $S/nginx-error.log;"
		echo "events { worker_connections 64; }"
		echo "http {"
		echo "  access_log $S/nginx-access.log;"
		echo "  client_body_temp_path $S/tmp/body; fastcgi_temp_path $S/tmp/fastcgi;"
		echo "  proxy_temp_path $S/tmp/proxy; uwsgi_temp_path $S/tmp/uwsgi; scgi_temp_path $S/tmp/scgi;"
		echo "  client_max_body_size 0;"
		_https_server_block "$HTTPS_PORT" "$S/server" ""
		_https_server_block "$HTTPS_PROXIED_PORT" "$S/server" 'if ($remote_addr != "127.0.0.2") { return 444; }'
		_https_server_block "$HTTPS_OTHER_PORT" "$S/other" ""
		echo "}"
	} >"$S/nginx.conf"
	cat >"$S/tinyproxy.conf" <<CONF
Port $PROXY_PORT
Listen 127.0.0.1
Bind 127.0.0.2
Timeout 60
Allow 127.0.0.1
LogFile "$S/tinyproxy.log"
LogLevel Connect
PidFile "$S/tinyproxy.pid"
MaxClients 20
CONF
	fcgiwrap -c 2 -s "unix:$S/fcgi.sock" >"$S/fcgiwrap.log" 2>&1 &
	_https_fcgi_pid=$!
	on_exit "kill $_https_fcgi_pid 2>/dev/null; wait $_https_fcgi_pid 2>/dev/null"
	tinyproxy -d -c "$S/tinyproxy.conf" >"$S/tinyproxy.out" 2>&1 &
	_https_proxy_pid=$!
	on_exit "kill $_https_proxy_pid 2>/dev/null; wait $_https_proxy_pid 2>/dev/null"
	local i
	for i in $(seq 1 100); do [ -S "$S/fcgi.sock" ] && break; sleep 0.1; done
	[ -S "$S/fcgi.sock" ] || fail "fcgiwrap n'a pas créé sa socket"
	https_start
	on_exit "https_stop"
	wait_port "$PROXY_PORT"
}

# A bare repository served as https://localhost:PORT/NAME.git
https_repo() { git init -q --bare "$HTTPS_DIR/git/$1.git"; }

https_start() {
	nginx -p "$HTTPS_DIR" -e "$HTTPS_DIR/nginx-error.log" -c "$HTTPS_DIR/nginx.conf" -g 'daemon off;' \
		>>"$HTTPS_DIR/nginx.out" 2>&1 &
	_https_nginx_pid=$!
	wait_port "$HTTPS_PORT"
	wait_port "$HTTPS_PROXIED_PORT"
	wait_port "$HTTPS_OTHER_PORT"
}

https_stop() {
	[ -n "${_https_nginx_pid:-}" ] || return 0
	kill "$_https_nginx_pid" 2>/dev/null || true
	wait "$_https_nginx_pid" 2>/dev/null || true
	_https_nginx_pid=
}
