#!/bin/sh
# docker-entrypoint.sh of deployctl-local/nginx:1.22: runs the command (by default
# nginx -g 'daemon off;', in the foreground); options alone are passed to nginx.
set -eu

case "${1:-}" in
'' | -*) set -- nginx -g 'daemon off;' "$@" ;;
esac
exec "$@"
