#!/usr/bin/env bash
# Swarm-only deploy keys reach the service spec: mode global, placement constraints and
# preferences, endpoint_mode, update_config, rollback_config, restart_policy, a long-syntax
# port's mode (host, or the ingress default); the same keys are refused, file:line:col, for a project that runs containers on one host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/swarm-lib.sh"

manifest() { # TARGET
	write_manifest app.yml <<YAML
name: $PROJECT
x-deployctl: {target: $1}
services:
  agent:
    image: deployctl-test/app:v1
    init: true
    deploy:
      mode: global
      endpoint_mode: dnsrr
      placement:
        constraints: [node.role == manager]
        preferences: [{spread: node.labels.zone}]
      update_config: {parallelism: 2, delay: 1s, order: start-first, failure_action: rollback}
      rollback_config: {parallelism: 1, monitor: 2s}
      restart_policy: {condition: on-failure, max_attempts: 3, window: 30s}
    volumes: ["data:/data"]
  web:
    image: deployctl-test/app:v1
    init: true
    ports:
      - {target: 8080, published: 18080, mode: host}
      - "18081:8081"
volumes:
  data: {}
YAML
}
manifest docker
commit docker
expect_status 2 plan --repo "$REPO"
expect_err 'app.yml:[0-9]+:[0-9]+: services.agent.deploy.mode: "global" is a Swarm feature: set x-deployctl: \{target: swarm\}'
expect_err 'services.agent.deploy.placement: not supported'

manifest swarm
commit swarm
swarm_start
dctl_swarm plan --repo "$REPO" || { cat "$OUT" "$ERR"; fail "plan failed"; }
grep -q 'note: volume data is node-local' "$OUT" || { cat "$OUT"; fail "plan does not say the volume is node-local"; }
dctl_swarm apply --repo "$REPO" || { cat "$OUT" "$ERR"; fail "apply failed"; }
spec=$(swarm_docker service inspect -f '{{json .Spec}}' "${PROJECT}_agent")
check() {
	python3 -c "import json,sys; s=json.load(sys.stdin); v=$1; sys.exit(0 if v else 1)" <<<"$spec" ||
		fail "spec check failed: $1"
}
check "'Global' in s['Mode']"
check "s['EndpointSpec']['Mode'] == 'dnsrr'"
check "s['TaskTemplate']['Placement']['Constraints'] == ['node.role == manager']"
check "s['TaskTemplate']['Placement']['Preferences'][0]['Spread']['SpreadDescriptor'] == 'node.labels.zone'"
check "s['UpdateConfig']['Parallelism'] == 2 and s['UpdateConfig']['Delay'] == 10**9 and s['UpdateConfig']['Order'] == 'start-first' and s['UpdateConfig']['FailureAction'] == 'rollback'"
check "s['RollbackConfig']['Monitor'] == 2 * 10**9"
check "(lambda r: r['Condition'] == 'on-failure' and r['MaxAttempts'] == 3 and r['Window'] == 30 * 10**9)(s['TaskTemplate']['RestartPolicy'])"
check "s['Labels']['com.docker.stack.namespace'] == '$PROJECT'"
check "s['TaskTemplate']['ContainerSpec']['Mounts'][0]['Source'] == '${PROJECT}_data'"
web=$(swarm_docker service inspect -f '{{json .Spec.EndpointSpec.Ports}}' "${PROJECT}_web")
python3 -c "import json,sys; p={x['TargetPort']: x['PublishMode'] for x in json.load(sys.stdin)}; sys.exit(0 if p == {8080: 'host', 8081: 'ingress'} else 1)" <<<"$web" ||
	fail "port publish modes not carried: $web"
dctl_swarm config --repo "$REPO" || { cat "$ERR"; fail "config failed"; }
grep -q 'mode: host' "$OUT" || { cat "$OUT"; fail "config does not print the port's mode: host"; }
swarm_wait_running "${PROJECT}_agent" 1 || fail "the global service does not run one task on the node"
dctl_swarm apply --repo "$REPO" && grep -q ', 0 mutating)' "$OUT" || { cat "$OUT"; fail "second apply not a no-op"; }
echo "ok $TEST_NAME"
