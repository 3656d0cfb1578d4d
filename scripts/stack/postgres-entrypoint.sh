#!/bin/sh
# docker-entrypoint.sh of deployctl-local/postgres:15: the parts of the official postgres
# image's entrypoint the example stack relies on. On first start (empty $PGDATA) runs initdb
# as user postgres with POSTGRES_USER (default postgres) and POSTGRES_PASSWORD, creates
# POSTGRES_DB (default: the user's name), runs /docker-entrypoint-initdb.d/*.sql and *.sh,
# listens on all addresses with md5 password auth for remote hosts, then execs postgres in
# the foreground so the container's stop signal reaches it.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

case "${1:-}" in
'' | -*) set -- postgres "$@" ;;
esac
if [ "$1" != postgres ]; then
	exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
	chmod 700 "$PGDATA"
	chown postgres:postgres /var/run/postgresql
	chmod 2777 /var/run/postgresql
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	user=${POSTGRES_USER:-postgres}
	db=${POSTGRES_DB:-$user}
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
		echo "error: database is uninitialized and POSTGRES_PASSWORD is not set" >&2
		exit 1
	fi
	auth=${POSTGRES_HOST_AUTH_METHOD:-md5}
	pwfile=$(mktemp)
	printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
	initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host="$auth" \
		--encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA"
	rm -f "$pwfile"
	printf '\n# any address (the Docker network)\nhost all all all %s\n' "$auth" \
		>>"$PGDATA/pg_hba.conf"
	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

	# Temporary server on the Unix socket only, for setup.
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
	if [ "$db" != postgres ]; then
		echo 'CREATE DATABASE :"db";' |
			psql -v ON_ERROR_STOP=1 --no-password --username "$user" --dbname postgres \
				--set db="$db"
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			echo "running $f"
			# shellcheck disable=SC1090
			. "$f"
			;;
		*.sql)
			echo "running $f"
			psql -v ON_ERROR_STOP=1 --no-password --username "$user" --dbname "$db" -f "$f"
			;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
