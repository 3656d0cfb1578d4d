#!/bin/sh
# docker-entrypoint.sh of deployctl-local/redis:7: runs redis-server in the foreground as user
# redis, reachable from the Docker network (no protected mode, bound to all IPv4 addresses),
# with its working directory /data. Arguments after `redis-server` are appended, so they win.
set -eu

case "${1:-}" in
'' | -*) set -- redis-server "$@" ;;
esac
if [ "$1" != redis-server ]; then
	exec "$@"
fi
shift
set -- redis-server --protected-mode no --bind 0.0.0.0 --dir /data "$@"
if [ "$(id -u)" = 0 ]; then
	find /data \! -user redis -exec chown redis:redis '{}' +
	exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
