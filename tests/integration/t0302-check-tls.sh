#!/usr/bin/env bash
# check: the TLS items through `deployctl check` on a real daemon — a listed
# certificate (x-deployctl.tls) with its key and names, and a bind-mounted
# directory of certificates; expired, soon-expiring, mismatched key, wrong
# names and a loose key mode each give the right line and exit status, and
# apply refuses to start while one fails.
. "$(dirname "$0")/lib.sh"

SSL="$WORK/ssl"
mkdir -p "$SSL"
# gen NAME DAYS SAN: a self-signed P-256 certificate NAME.crt + NAME.key in $SSL
# (DAYS 0: it expired yesterday).
gen() {
	local days=$2
	[ "$days" -gt 0 ] || days=1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$SSL/$1.key" -out "$SSL/$1.crt" -days "$days" -subj "/CN=$1" \
		-addext "subjectAltName=$3" 2>/dev/null || fail "openssl cannot make $1"
	if [ "$2" -le 0 ]; then
		openssl x509 -in "$SSL/$1.crt" -signkey "$SSL/$1.key" -days -1 \
			-out "$SSL/$1.crt.new" 2>/dev/null && mv "$SSL/$1.crt.new" "$SSL/$1.crt" ||
			fail "openssl cannot expire $1"
	fi
	chmod 600 "$SSL/$1.key"
}
gen shop 90 "DNS:shop.example.com,DNS:*.shop.example.com"
gen other 90 "DNS:other.example.com"
gen old 0 "DNS:shop.example.com"
gen soon 5 "DNS:shop.example.com"

# manifest CERT KEY NAMES: one listed certificate; the web service mounts $SSL/live.
mkdir -p "$SSL/live"
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl:
  tls:
    - cert: $SSL/$1.crt
      key: $SSL/$2.key
      names: [$3]
services:
  web:
    image: deployctl-test/app:v1
    init: true
    volumes: ["$SSL/live:/etc/nginx/ssl:ro"]
YAML
	commit "tls $1 $2"
}

expect_check() {
	local want=$1 got
	dctl check --repo "$REPO"
	got=$?
	if [ "$got" != "$want" ]; then
		cat "$OUT" "$ERR"
		fail "check exited $got, expected $want"
	fi
}

# Everything right: one ok line naming the file, the subject, the key and its mode.
manifest shop shop "shop.example.com, www.shop.example.com"
expect_check 0
expect_out "^ok    tls: x-deployctl.tls\[0\]: $SSL/shop.crt: CN=shop; expires [0-9-]+ [0-9:]+ UTC \(in (89|90) day\(s\)\); covers 2 name\(s\); key $SSL/shop.key matches; key mode 600$"
expect_out "^ok    tls: no certificates|^ok    tls: x-deployctl"
expect_out "^all checks passed, 0 warning\(s\)$"

# Soon-expiring: a warning, not a failure.
manifest soon soon shop.example.com
expect_check 0
expect_out "^warn  tls: x-deployctl.tls\[0\]: $SSL/soon.crt: CN=soon; expires .* \(in [45] day\(s\), renew it\)"
expect_out "^all checks passed, 1 warning\(s\)$"

# Expired: a failure, exit 1.
manifest old old shop.example.com
expect_check 1
expect_out "^FAIL  tls: x-deployctl.tls\[0\]: $SSL/old.crt: CN=old; expired .* \([01] day\(s\) ago\)"
expect_out "^1 check\(s\) failed"

# Someone else's key.
manifest shop other shop.example.com
expect_check 1
expect_out "^FAIL  tls: .*key $SSL/other.key: the private key does not match the certificate"

# A name the certificate does not cover (a wildcard covers one label only).
manifest shop shop "shop.example.com, a.b.shop.example.com"
expect_check 1
expect_out "^FAIL  tls: .*does not cover a.b.shop.example.com \(subjectAltName: DNS:shop.example.com, DNS:\*.shop.example.com\)"

# A key readable by others fails; apply refuses to start on it (exit 2, nothing changed).
manifest shop shop shop.example.com
chmod 644 "$SSL/shop.key"
expect_check 1
expect_out "^FAIL  tls: .*key mode 644 lets group or others read it \(chmod 600 $SSL/shop.key\)"
expect_status 2 apply --repo "$REPO"
expect_err "deployctl: check: FAIL tls: x-deployctl.tls\[0\]: .*key mode 644"
expect_err "nothing was changed"
[ "$(count_containers)" = 0 ] || fail "apply changed something although a check failed"
chmod 600 "$SSL/shop.key"

# The mounted directory: each certificate and key in it is checked on its own.
cp "$SSL/soon.crt" "$SSL/soon.key" "$SSL/live/"
chmod 640 "$SSL/live/soon.key"
expect_check 1
expect_out "^warn  tls: services.web.volumes\[0\]: $SSL/live/soon.crt: CN=soon; expires .*renew it"
expect_out "^FAIL  tls: services.web.volumes\[0\]: $SSL/live/soon.key: private key \(no certificate in it\); key mode 640"
chmod 600 "$SSL/live/soon.key"
expect_check 0
expect_status 0 apply --repo "$REPO"
[ "$(count_containers web)" = 1 ] || fail "web is not running after apply"

# No key material in any output or in the state directory.
key_line=$(sed -n 2p "$SSL/shop.key")
for f in "$OUT" "$ERR"; do
	grep -qF -- "$key_line" "$f" && fail "key material in $f"
done
grep -rqF -- "$key_line" "$STATE" && fail "key material in the state directory"
echo "ok $TEST_NAME"
