#!/usr/bin/env bash
# The shapes a Compose user tries first, deployed unchanged from the
# repository root: a prometheus + grafana stack (stand-ins from local test
# images) with relative config mounts, included from its own directory, and
# a web app built from the repository with a database beside it, plus the
# usual compose.override.yaml. A no-op is a no-op; editing the prometheus
# config rolls prometheus only.
. "$(dirname "$0")/lib.sh"

images_cleanup() {
	cleanup
	remove_built_images
}
trap images_cleanup EXIT

rmdir "$REPO/manifests"
WEB_PORT=$(free_port)
GRAFANA_PORT=$(free_port)
mkdir -p "$REPO/monitoring/prometheus" "$REPO/monitoring/grafana/provisioning/datasources" "$REPO/web"
cat >"$REPO/compose.yaml" <<YAML
name: $PROJECT
include:
  - monitoring/compose.yaml
services:
  web:
    build: ./web
    environment:
      DATABASE_URL: postgres://app@db:5432/app
    ports: ["127.0.0.1:$WEB_PORT:8080"]
    depends_on:
      db: {condition: service_healthy}
    restart: unless-stopped
  db:
    image: deployctl-test/app:v2
    runtime: runc
    environment: {MESSAGE: db}
    healthcheck:
      test: ["CMD", "/testsrv", "probe"]
      interval: 1s
      retries: 30
    volumes: [dbdata:/var/lib/postgresql/data]
volumes:
  dbdata: {}
YAML
cat >"$REPO/compose.override.yaml" <<YAML
services:
  web:
    environment: {MESSAGE: webapp}
    init: true
  db:
    init: true
YAML
cat >"$REPO/web/Dockerfile" <<'DOCKERFILE'
FROM deployctl-test/app:v1
COPY index.txt /srv/index.txt
DOCKERFILE
echo hello >"$REPO/web/index.txt"
cat >"$REPO/monitoring/compose.yaml" <<YAML
services:
  prometheus:
    image: deployctl-test/app:v1
    init: true
    environment: {MESSAGE: prometheus}
    volumes:
      - ./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro
  grafana:
    image: deployctl-test/app:v1
    init: true
    environment: {MESSAGE: grafana}
    ports: ["127.0.0.1:$GRAFANA_PORT:8080"]
    volumes:
      - ./grafana/provisioning:/etc/grafana/provisioning:ro
      - grafana-data:/var/lib/grafana
    depends_on: [prometheus]
volumes:
  grafana-data: {}
YAML
printf 'scrape_configs:\n  - job_name: web\n' >"$REPO/monitoring/prometheus/prometheus.yml"
printf 'apiVersion: 1\ndatasources: [{name: prom, type: prometheus}]\n' \
	>"$REPO/monitoring/grafana/provisioning/datasources/prom.yaml"
commit one

expect_status 0 config --repo "$REPO" --services
[ "$(tr '\n' ' ' <"$OUT")" = "db grafana prometheus web " ] || fail "services: $(cat "$OUT")"
expect_status 0 apply --repo "$REPO"
http_get "$WEB_PORT" / | grep -q '^webapp from' || fail "web does not answer as the override says"
http_get "$GRAFANA_PORT" / | grep -q '^grafana from' || fail "grafana does not answer"
docker cp "$(cid grafana):/etc/grafana/provisioning/datasources/prom.yaml" - | tar -xO |
	grep -q 'type: prometheus' || fail "grafana's provisioning directory is not the commit's"
expect_status 0 apply --repo "$REPO"
expect_out '^no changes'
[ "$(docker inspect -f '{{.HostConfig.Runtime}}' "$(cid db)")" = runc ] || fail "db's runtime is not runc"

prom=$(cid prometheus); graf=$(cid grafana); web=$(cid web)
printf 'scrape_configs:\n  - job_name: web\n  - job_name: db\n' >"$REPO/monitoring/prometheus/prometheus.yml"
commit two
expect_status 0 plan --repo "$REPO"
expect_out 'replace +prometheus#1: bind ./prometheus/prometheus.yml changed \((stop|start)-first: [^)]*\)$'
expect_status 0 apply --repo "$REPO"
[ "$(cid prometheus)" != "$prom" ] || fail "prometheus was not replaced"
[ "$(cid grafana)" = "$graf" ] && [ "$(cid web)" = "$web" ] || fail "other services were replaced"
echo "ok $TEST_NAME"
