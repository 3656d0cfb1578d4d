#!/bin/sh
# setup.sh: prepares deployctl-local/debian-stack:bookworm for one service of the example
# stack. Run by scripts/build-stack-images.sh as `sh /stack/setup.sh SERVICE` in a throwaway
# container (this directory mounted at /stack); the container is then committed as the
# service's image. Mirrors the layout of the official images where the stack relies on it.
set -eu

svc=${1:?usage: setup.sh postgres|redis|nginx|prometheus}
entry=/usr/local/bin/docker-entrypoint.sh

case "$svc" in
postgres)
	install -m 0755 /stack/postgres-entrypoint.sh "$entry"
	mkdir -p /var/lib/postgresql/data /var/run/postgresql /docker-entrypoint-initdb.d
	chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
	chmod 700 /var/lib/postgresql/data
	chmod 2777 /var/run/postgresql
	;;
redis)
	install -m 0755 /stack/redis-entrypoint.sh "$entry"
	mkdir -p /data
	chown redis:redis /data
	;;
nginx)
	install -m 0755 /stack/nginx-entrypoint.sh "$entry"
	rm -f /etc/nginx/sites-enabled/default
	install -m 0644 /stack/nginx-default.conf /etc/nginx/conf.d/default.conf
	# Logs go to the container's output, as in the official image.
	ln -sf /dev/stdout /var/log/nginx/access.log
	ln -sf /dev/stderr /var/log/nginx/error.log
	nginx -t
	;;
prometheus)
	install -m 0644 /stack/prometheus.yml /etc/prometheus/prometheus.yml
	mkdir -p /prometheus
	chown prometheus:prometheus /prometheus
	;;
*)
	echo "setup.sh: unknown service $svc" >&2
	exit 2
	;;
esac
echo "setup.sh: $svc ready"
