#!/usr/bin/env bash
# Each input limit of docs/limits.md, end to end: refused with its message
# (file:line:col where there is one), exit 2 for the user's input, 3 for
# Docker and 1 for a build, nothing deployed. Manifest files over 4 MiB and over 16 MiB
# together, YAML nested too deep, too many nodes, aliases that expand too
# far, too many services, an env file over 4 MiB, a Docker response over
# 64 MiB (from a fake daemon on a socket of the test's own), a build
# context over 256 MiB. (The webhook body is t0904's 413.)
. "$(dirname "$0")/lib.sh"

# limit NAME PATTERN: config on the committed manifests exits 2 saying PATTERN.
limit() {
	commit "$1"
	dctl config --repo "$REPO"
	st=$?
	[ "$st" = 2 ] || { head -c 2000 "$ERR"; fail "$1: config exited $st, expected 2"; }
	grep -qE -- "$2" "$ERR" || { head -c 2000 "$ERR"; fail "$1: stderr lacks /$2/"; }
	rm -f "$REPO"/manifests/*
}
header() {
	printf 'name: %s\nservices:\n  web: {image: deployctl-test/app:v1, init: true}\n' "$PROJECT"
}
# comment_bytes N: one YAML comment line of N bytes.
comment_bytes() {
	{ printf '#'; head -c "$(($1 - 2))" /dev/zero | tr '\0' x; echo; }
}

{ header; comment_bytes $((4 * 1024 * 1024)); } >"$REPO/manifests/app.yml"
limit "file size" "manifests/app.yml: 'manifests/app.yml' is larger than 4194304 bytes"

header >"$REPO/manifests/app.yml"
for i in 1 2 3 4 5; do
	{ echo "services: {}"; comment_bytes $((4 * 1024 * 1024 - 4096)); } >"$REPO/manifests/part$i.yml"
done
limit "total size" "manifests/part[0-9].yml: the project's files are larger than 16777216 bytes together"

{ header; printf 'x-deep: '; printf '[%.0s' $(seq 1 70); printf ']%.0s' $(seq 1 70); echo; } >"$REPO/manifests/app.yml"
limit "depth" "manifests/app.yml:4:[0-9]+: nesting deeper than 64 levels"

{ header; printf 'x-many: ['; head -c 200001 /dev/zero | tr '\0' 'a' | sed 's/./1,/g'; echo '1]'; } >"$REPO/manifests/app.yml"
limit "nodes" "manifests/app.yml:4:[0-9]+: document has more than 200000 nodes"

{
	header
	printf 'x-big: &big "'; head -c $((1024 * 1024)) /dev/zero | tr '\0' b; echo '"'
	printf 'x-copies: ['; printf '*big, %.0s' $(seq 1 20); echo '*big]'
} >"$REPO/manifests/app.yml"
limit "alias bytes" "manifests/app.yml:5:[0-9]+: alias '\*big' expands the document beyond 16 MiB of scalars"

{ printf 'name: %s\nservices:\n' "$PROJECT"; for i in $(seq 0 1000); do echo "  s$i: {image: deployctl-test/app:v1}"; done; } >"$REPO/manifests/app.yml"
limit "services" "manifests/app.yml:1003:3: services.s1000: too many services \(at most 1000\)"

# An env file over 4 MiB.
header >"$REPO/manifests/app.yml"
commit "env file"
{ echo "A=1"; comment_bytes $((4 * 1024 * 1024)); } >"$WORK/big.env"
expect_status 2 plan --repo "$REPO" --env-file "$WORK/big.env"
expect_err "big.env: file is larger than 4194304 bytes"

# A Docker response over 64 MiB: a fake daemon answering the container list with 65 MiB.
FAKE="$WORK/fake.sock"
python3 - "$FAKE" <<'PY' &
import socketserver, sys, http.server, threading
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        if "/containers/json" in self.path:
            body = b"[" + b" " * (65 << 20) + b"]"
        elif self.path.startswith("/_ping"):
            body = b"OK"
        else:
            body = b"[]"
        self.send_response(200)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass
    do_HEAD = do_GET
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
srv = S(sys.argv[1], H)
threading.Timer(60, srv.shutdown).start()  # bounded
srv.serve_forever()
PY
fake=$!
for _ in $(seq 1 50); do [ -S "$FAKE" ] && break; sleep 0.1; done
expect_status 3 plan --repo "$REPO" --docker-host "unix://$FAKE"
expect_err "docker at '$FAKE': GET /.*containers/json.*: response larger than 67108864 bytes"
kill "$fake" 2>/dev/null
wait "$fake" 2>/dev/null

# A build context over 256 MiB (zeros: git stores them small).
mkdir -p "$REPO/manifests/app"
printf 'FROM deployctl-test/app:v1\nCOPY big /big\n' >"$REPO/manifests/app/Dockerfile"
head -c $((256 * 1024 * 1024 + 1)) /dev/zero >"$REPO/manifests/app/big"
printf 'name: %s\nservices:\n  web: {build: {context: ./app}, init: true}\n' "$PROJECT" >"$REPO/manifests/app.yml"
commit "big context"
rm -f "$REPO/manifests/app/big" # the commit has it; the disk need not
expect_status 1 apply --repo "$REPO"
expect_err "manifests/app.yml:3:3: services.web.build: build context 'manifests/app' is larger than 268435456 bytes"
expect_err "the build of web failed; nothing was changed"
[ -z "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT")" ] || fail "a container was made"
echo "ok $TEST_NAME"
