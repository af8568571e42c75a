# Shared settings and helpers for .ci/testenv/up and .ci/testenv/down (sourced, not run).
# shellcheck shell=bash

# Everything an environment starts and keeps is under its state folder: two environments with
# different GADGETC_TESTENV_STATE folders on one machine leave each other alone.
STATE="${GADGETC_TESTENV_STATE:-/tmp/gadgetc-testenv}"
case "$STATE" in /*) ;; *) STATE="$(pwd)/$STATE" ;; esac
CACHE="${GADGETC_TESTENV_CACHE:-/var/cache/gadgetc-testenv}"
SOCKET="$STATE/docker.sock"
# The loopback ports `up` picked (free ones, unless GADGETC_TESTENV_REGISTRY_PORT or
# GADGETC_TESTENV_CLOSED_PORT name them), recorded in $STATE/ports: the registry's, and one where
# nothing listens (the tests' "registry is down").
PORTS_FILE="$STATE/ports"
REGISTRY_PORT=""
CLOSED_PORT=""
if [ -f "$PORTS_FILE" ]; then
  REGISTRY_PORT="$(sed -n 's/^REGISTRY_PORT=//p' "$PORTS_FILE")"
  CLOSED_PORT="$(sed -n 's/^CLOSED_PORT=//p' "$PORTS_FILE")"
fi
set_ports() {
  REGISTRY_PORT="$1"
  CLOSED_PORT="$2"
  REGISTRY="127.0.0.1:$REGISTRY_PORT"
  CLOSED_REGISTRY="127.0.0.1:$CLOSED_PORT"
  BUILDER_IMAGE="$REGISTRY/gadgetc/builder:ci"
}
set_ports "$REGISTRY_PORT" "$CLOSED_PORT"
LOCAL_IMAGE="gadgetc-testenv/builder:ci"
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
  [ -n "$REGISTRY_PORT" ] && curl -fsS --max-time 2 "http://$REGISTRY/v2/" >/dev/null 2>&1
}

port_open() {
  (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

# The inodes of the TCP sockets bound to a local port (any address, any state), from /proc/net.
port_sockets() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v port="$hex" 'FNR > 1 { split($2, local, ":"); if (local[2] == port) print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

port_in_use() {
  [ -n "$(port_sockets "$1")" ] || port_open "127.0.0.1:$1"
}

# Prints a loopback port that no socket uses, from 20000-52767.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM))
    port_in_use "$port" || { echo "$port"; return 0; }
  done
  return 1
}

# Whether process PID holds a socket bound to PORT: the process we started is the one that answers.
process_owns_port() {
  local pid="$1" port="$2" inode
  for inode in $(port_sockets "$port"); do
    [ "$inode" != 0 ] || continue
    as_root find "/proc/$pid/fd" -maxdepth 1 -lname "socket:\[$inode\]" 2>/dev/null | grep -q . && return 0
  done
  return 1
}

# Whether PID is a process this environment started: its program is NAME (/proc/PID/comm) and its
# command line names this state folder (a pid file outlives its process; the number may be reused).
is_ours() {
  local pid="$1" name="$2" comm
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null)"
  # Not root: the recorded pid is the sudo that runs the program (and passes signals on to it).
  [ "$comm" = "$name" ] || [ "$comm" = sudo ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE/"
}

# Refuses to run inside a plain chroot: containers started there do not get the isolation the tests
# assume (`docker exec` ran in the host's root). Where /proc/1/root cannot be read, the root mount
# must at least be visible at / (in a chroot into a subfolder it is not).
refuse_chroot() {
  local here init
  here=$(stat -L -c %d:%i / 2>/dev/null)
  if init=$(stat -L -c %d:%i /proc/1/root 2>/dev/null); then
    [ "$here" = "$init" ] && return 0
    fail "this shell runs in a chroot (/ is $here, init's root is $init): containers exec'd from here are not isolated; run the test environment on the host, in a VM or in a container with its own mount namespace"
  fi
  awk '$5 == "/" { found = 1 } END { exit !found }' /proc/self/mountinfo 2>/dev/null \
    || fail "this shell seems to run in a chroot (no mount at / in /proc/self/mountinfo): containers exec'd from here are not isolated; run the test environment on the host, in a VM or in a container with its own mount namespace"
}

# Stops the processes PID... named NAME that this environment started (is_ours): TERM, then KILL
# for those still running after SECONDS (default 10).
stop_pid() {
  local name="$1" seconds="${STOP_SECONDS:-10}" pid pids=() left
  shift
  for pid in "$@"; do
    is_ours "$pid" "$name" && pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  as_root kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 $((seconds * 10))); do
    left=()
    for pid in "${pids[@]}"; do [ -d "/proc/$pid" ] && left+=("$pid"); done
    [ ${#left[@]} -gt 0 ] || return 0
    sleep 0.1
  done
  log "$name (${left[*]}) did not stop in $seconds s; killing it"
  as_root kill -KILL "${left[@]}" 2>/dev/null || true
}

# stop_pid for the pid in a pid file, which is then removed.
stop_pidfile() {
  local pidfile="$1" name="$2"
  [ -f "$pidfile" ] || return 0
  stop_pid "$name" "$(cat "$pidfile" 2>/dev/null || true)"
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
