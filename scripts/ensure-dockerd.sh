#!/usr/bin/env bash
# ensure-dockerd.sh: makes sure a Docker Engine answers on its Unix socket.
#
# Does nothing if the engine already answers /_ping. Otherwise starts it: with systemd
# running, `systemctl start docker`; without (containers, CI), `dockerd` in the background
# with its log in /var/log/dockerd.log. Waits for /_ping, at most DOCKERD_WAIT seconds
# (default 60), and fails with a clear message otherwise. Start needs root.
set -euo pipefail

sock=${DOCKER_SOCKET:-/var/run/docker.sock}
wait_s=${DOCKERD_WAIT:-60}
log=${DOCKERD_LOG:-/var/log/dockerd.log}

die() {
	echo "ensure-dockerd: $*" >&2
	exit 1
}

ping_ok() {
	if command -v curl >/dev/null 2>&1; then
		[ "$(curl -fsS --max-time 3 --unix-socket "$sock" http://localhost/_ping 2>/dev/null)" = OK ]
	else
		docker -H "unix://$sock" version >/dev/null 2>&1
	fi
}

dockerd_running() {
	pidof dockerd >/dev/null 2>&1 || pgrep -x dockerd >/dev/null 2>&1
}

ping_ok && exit 0

[ "$(id -u)" = 0 ] || die "Docker Engine does not answer on $sock and starting it needs root"

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 &&
	systemctl cat docker.service >/dev/null 2>&1; then
	echo "ensure-dockerd: starting docker.service" >&2
	systemctl start docker.service || die "systemctl start docker failed (see journalctl -u docker)"
else
	command -v dockerd >/dev/null 2>&1 ||
		die "dockerd not found: install Docker Engine (apt-get install docker.io)"
	if [ -S "$sock" ] && ! dockerd_running; then
		rm -f "$sock" # stale socket of a dead engine
	fi
	if ! dockerd_running; then
		echo "ensure-dockerd: starting dockerd (log: $log)" >&2
		nohup dockerd >>"$log" 2>&1 </dev/null &
	fi
fi

for ((i = 0; i < wait_s * 2; i++)); do
	ping_ok && exit 0
	sleep 0.5
done
tail -n 20 "$log" >&2 2>/dev/null || true
die "Docker Engine did not answer on $sock within ${wait_s} s (log: $log)"
