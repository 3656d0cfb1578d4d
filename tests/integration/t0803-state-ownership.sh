#!/usr/bin/env bash
# Ownership: containers carry the identity of the state database that made
# them (io.deployctl.owner, -host, -state). A second state database planning
# the same project is refused, naming the owner (host, state path, id), and
# changes nothing; with --adopt it takes the containers over (each replaced,
# so it carries the new owner). Containers from before owner labels belong
# to the database whose releases made them: that one keeps managing them
# with no spurious replace, a fresh one is refused.
. "$(dirname "$0")/lib.sh"

STATE_B="$WORK/state-b"
manifest() {
	write_manifest app.yml <<YAML
name: $PROJECT
services:
  web:
    image: deployctl-test/app:v1
    environment: {MESSAGE: "$1"}
    init: true
  worker:
    image: deployctl-test/app:v1
    init: true
YAML
}
manifest one
commit one
expect_status 0 apply --repo "$REPO"
web1=$(cid web)
worker1=$(cid worker)
ID_A=$(sqlite3 "$STATE/deployctl.db" 'select id from state_identity')
[ ${#ID_A} = 32 ] || fail "no state identity in A: '$ID_A'"
[ "$(docker inspect -f '{{index .Config.Labels "io.deployctl.owner"}}' "$web1")" = "$ID_A" ] ||
	fail "web does not carry A's owner label"
[ "$(docker inspect -f '{{index .Config.Labels "io.deployctl.owner-state"}}' "$web1")" = "$STATE" ] ||
	fail "web does not carry A's state path"

# B: plan and apply are refused, naming A; nothing changes.
dctl_b() {
	"$DEPLOYCTL" --state "$STATE_B" "$@" >"$OUT" 2>"$ERR"
}
t0=$(now)
dctl_b plan --repo "$REPO"
st=$?
[ "$st" = 2 ] || { cat "$OUT" "$ERR"; fail "plan with state B exited $st, expected 2"; }
expect_err "container '$PROJECT-web-1' belongs to another state database: state $ID_A on host $(hostname) at $STATE"
expect_err "is deployed from another state database"
grep -q 'replace' "$OUT" && fail "plan with state B lists replaces"
dctl_b apply --repo "$REPO"
st=$?
[ "$st" = 2 ] || { cat "$OUT" "$ERR"; fail "apply with state B exited $st, expected 2"; }
expect_err "belongs to another state database: state $ID_A"
t1=$(now)
[ -z "$(events_between "$t0" "$t1" | grep -v '^container \(exec\|top\)')" ] ||
	fail "state B changed Docker: $(events_between "$t0" "$t1")"
[ "$(cid web)" = "$web1" ] && [ "$(cid worker)" = "$worker1" ] || fail "state B touched A's containers"
# A still sees its own containers: no change.
expect_status 0 plan --repo "$REPO"
expect_out 'no changes'

# B with --adopt: plan says it adopts, apply replaces each and relabels it.
dctl_b plan --repo "$REPO" --adopt || fail "plan --adopt with state B failed: $(cat "$ERR")"
expect_out "replace +web#1: adopted from state ${ID_A:0:12}"
dctl_b apply --repo "$REPO" --adopt || fail "apply --adopt with state B failed: $(cat "$ERR")"
ID_B=$(sqlite3 "$STATE_B/deployctl.db" 'select id from state_identity')
[ "$ID_A" != "$ID_B" ] || fail "two state databases have the same identity"
web2=$(cid web)
[ "$web2" != "$web1" ] || fail "--adopt did not replace web"
[ "$(docker inspect -f '{{index .Config.Labels "io.deployctl.owner"}}' "$web2")" = "$ID_B" ] ||
	fail "adopted web does not carry B's owner label"
dctl_b plan --repo "$REPO"
grep -q 'no changes' "$OUT" || fail "B after --adopt: plan not clean: $(cat "$OUT" "$ERR")"
# Now A is the foreign one.
expect_status 2 plan --repo "$REPO"
expect_err "belongs to another state database: state $ID_B"
echo "state B refused naming A ($ID_A); --adopt took the containers over"

# Containers from before owner labels: make them as an old deployctl did (no owner labels).
docker rm -f $(docker ps -aq --filter "label=io.deployctl.project=$PROJECT") >/dev/null
rm -rf "$STATE" "$STATE_B"
manifest two
commit two
expect_status 0 apply --repo "$REPO"
for c in $(docker ps -aq --filter "label=io.deployctl.project=$PROJECT"); do
	# Re-create each container exactly, without the owner labels.
	name=$(docker inspect -f '{{.Name}}' "$c" | cut -c2-)
	docker inspect "$c" >"$WORK/c.json"
	python3 - "$WORK/c.json" >"$WORK/create.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))[0]
cfg = c["Config"]
for k in ("io.deployctl.owner", "io.deployctl.owner-host", "io.deployctl.owner-state"):
    cfg["Labels"].pop(k, None)
cfg["HostConfig"] = c["HostConfig"]
cfg["NetworkingConfig"] = {"EndpointsConfig": {n: {"Aliases": v.get("Aliases")} for n, v in c["NetworkSettings"]["Networks"].items()}}
print(json.dumps(cfg))
PY
	docker rm -f "$c" >/dev/null
	curl -fsS --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' \
		-d @"$WORK/create.json" "http://x/v1.41/containers/create?name=$name" >"$WORK/id.json" ||
		fail "cannot re-create $name without owner labels"
	id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Id"])' "$WORK/id.json")
	docker start "$id" >/dev/null || fail "cannot start $name"
done
[ -z "$(docker ps -aq --filter "label=io.deployctl.project=$PROJECT" --filter label=io.deployctl.owner)" ] ||
	fail "test set-up: a container still has an owner label"
# A's releases made them: A plans no change (the missing label is no spec change).
expect_status 0 plan --repo "$REPO"
expect_out 'no changes'
# A fresh state database is refused.
dctl_b plan --repo "$REPO"
st=$?
[ "$st" = 2 ] || { cat "$OUT" "$ERR"; fail "fresh state B on unlabelled containers exited $st"; }
expect_err "container '$PROJECT-web-1' has no owner label and no release of this state database made it"
# A's next change labels the replaced container; the untouched one stays as it was.
manifest three
commit three
expect_status 0 apply --repo "$REPO"
expect_out 'replace +web#1: env MESSAGE: [a-z]+ -> [a-z]+'
grep -q 'worker' "$OUT" && fail "A replaced the unlabelled worker: $(cat "$OUT")"
ID_A=$(sqlite3 "$STATE/deployctl.db" 'select id from state_identity')
[ "$(docker inspect -f '{{index .Config.Labels "io.deployctl.owner"}}' "$(cid web)")" = "$ID_A" ] ||
	fail "A's new web does not carry its owner label"
echo "unlabelled containers: A keeps them (no replace), a fresh state database is refused"
