# Shared settings and helpers for .ci/testenv/up and .ci/testenv/down (sourced, not run).
# shellcheck shell=bash

STATE="${GADGETC_TESTENV_STATE:-/tmp/gadgetc-testenv}"
CACHE="${GADGETC_TESTENV_CACHE:-/var/cache/gadgetc-testenv}"
SOCKET="$STATE/docker.sock"
REGISTRY="127.0.0.1:${GADGETC_TESTENV_REGISTRY_PORT:-5055}"
# A loopback port nothing listens on: the tests' "registry is down".
CLOSED_REGISTRY="127.0.0.1:${GADGETC_TESTENV_CLOSED_PORT:-5056}"
LOCAL_IMAGE="gadgetc-testenv/builder:ci"
BUILDER_IMAGE="$REGISTRY/gadgetc/builder:ci"
DEBIAN_MIRROR="${GADGETC_TESTENV_MIRROR:-http://deb.debian.org/debian}"
# Debian's docker client matches Debian's dockerd; another docker on PATH may be newer.
DOCKER_CLI="${GADGETC_TESTENV_DOCKER_CLI:-/usr/bin/docker}"
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=docker
DOCKER="$DOCKER_CLI -H unix://$SOCKET"

# Podman (rootful, runc, cgroupfs, no network) with every config file and all of its state private to
# $STATE/podman: the machine's /etc/containers and /var/lib/containers are not used.
# GADGETC_TESTENV_PODMAN=off leaves it out.
PODMAN_ENABLED=true
[ "${GADGETC_TESTENV_PODMAN:-on}" = "off" ] && PODMAN_ENABLED=false
PODMAN_STATE="$STATE/podman"
PODMAN_SOCKET="$STATE/podman.sock"
# Podman keeps a loaded short name as localhost/NAME: the tests use this full reference.
PODMAN_IMAGE="localhost/$LOCAL_IMAGE"
podman_env=(
  CONTAINERS_CONF="$PODMAN_STATE/config/containers.conf"
  CONTAINERS_STORAGE_CONF="$PODMAN_STATE/config/storage.conf"
  CONTAINERS_REGISTRIES_CONF="$PODMAN_STATE/config/registries.conf"
  XDG_CONFIG_HOME="$PODMAN_STATE/xdg/config"
  XDG_DATA_HOME="$PODMAN_STATE/xdg/data"
  XDG_RUNTIME_DIR="$PODMAN_STATE/xdg/run"
  TMPDIR="$PODMAN_STATE/tmp"
)

log() { echo "testenv: $*" >&2; }
fail() { echo "testenv: error: $*" >&2; exit 1; }

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

engine_answers() {
  [ -S "$SOCKET" ] && curl -fsS --max-time 2 --unix-socket "$SOCKET" http://engine/_ping >/dev/null 2>&1
}

# podman with the private configuration (only once it is written: see write_podman_config in up).
podman_() {
  as_root env "${podman_env[@]}" podman "$@"
}

podman_answers() {
  [ -S "$PODMAN_SOCKET" ] && curl -fsS --max-time 2 --unix-socket "$PODMAN_SOCKET" http://engine/_ping >/dev/null 2>&1
}

registry_answers() {
  curl -fsS --max-time 2 "http://$REGISTRY/v2/" >/dev/null 2>&1
}

port_open() {
  (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

# Stops the process in a pid file (TERM, then KILL after 10 s) if it is still the named program.
stop_pidfile() {
  local pidfile="$1" name="$2" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q "$name" "/proc/$pid/cmdline" 2>/dev/null; then
    as_root kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then
      log "$name ($pid) did not stop in 10 s; killing it"
      as_root kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# Unmounts whatever a stopped dockerd left under its exec-root and data-root, and a stopped podman
# under its storage, deepest first.
unmount_leftovers() {
  local mounts
  mounts=$(awk -v a="$STATE/exec" -v b="$STATE/data" -v c="$PODMAN_STATE/" \
    'index($2, a) == 1 || index($2, b) == 1 || index($2, c) == 1 { print $2 }' /proc/self/mounts | sort -r)
  [ -z "$mounts" ] && return 0
  local m
  while IFS= read -r m; do
    as_root umount "$m" 2>/dev/null || as_root umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done <<<"$mounts"
}
