#!/usr/bin/env bash
# Starts a container engine that speaks Docker's API, for image targets (`image:` profiles) and
# `npm run image`, on a Debian machine with no Docker: Podman's API service on a unix socket.
# Installs podman and runc from Debian when missing (as root, or through sudo). Idempotent: an engine
# already answering on the socket is left as it is. Prints the variables to export.
#
#   eval "$(bash scripts/start-podman.sh)"
set -euo pipefail
SOCKET="${PODMAN_SOCKET:-/run/podman/podman.sock}"
as_root=""
[ "$(id -u)" -ne 0 ] && as_root="sudo"

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  $as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq podman runc >/dev/null
fi
# runc, and no ulimits of its own: what works inside this kind of machine's sandbox.
if [ ! -f /etc/containers/containers.conf ]; then
  $as_root mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' | $as_root tee /etc/containers/containers.conf >/dev/null
fi
if ! curl -sf --unix-socket "$SOCKET" http://podman/_ping >/dev/null 2>&1; then
  $as_root mkdir -p "$(dirname "$SOCKET")"
  nohup $as_root podman system service --time=0 "unix://$SOCKET" >/tmp/podman-service.log 2>&1 &
  for _ in $(seq 1 50); do
    curl -sf --unix-socket "$SOCKET" http://podman/_ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf --unix-socket "$SOCKET" http://podman/_ping >/dev/null || { echo "podman's API service did not answer on $SOCKET (see /tmp/podman-service.log)" >&2; exit 1; }
fi
echo "export DOCKER_HOST=unix://$SOCKET TESTCONTAINERS_RYUK_DISABLED=true"
