#!/usr/bin/env bash
# Builds deploy/Dockerfile with Debian's podman on a machine with no Docker engine and no container
# registry, then runs every process from the image and the compose stack (deploy/podman_check.py).
# Root on Debian bookworm. Base and uv images are made locally and cached in $SPORTELLO_PODMAN_CACHE.
#
#   bash deploy/podman-check.sh            # what .ci/run runs after the tests
#   SPORTELLO_PODMAN_SKIP_COMPOSE=1 bash deploy/podman-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${SPORTELLO_PODMAN_CACHE:-/var/cache/sportello-podman}
MIRROR=${SPORTELLO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PYTHON_IMAGE=localhost/sportello-python:3.11-$SUITE
# uv's version is the one the Dockerfile names for everyone else.
UV_VERSION=$(sed -n 's/^ARG UV_IMAGE=.*:\([0-9.]*\)$/\1/p' deploy/Dockerfile)
UV_IMAGE=localhost/sportello-uv:$UV_VERSION
IMAGE=localhost/sportello:check
PODMAN_COMPOSE_VERSION=1.6.0

say() { echo "[podman-check] $*"; }
# A fresh pip install of uv may not be on PATH (pyenv shims): then it is `python3 -m uv`.
if command -v uv >/dev/null 2>&1; then UV=uv; else UV="python3 -m uv"; fi

# --- podman, as these machines need it -----------------------------------------------------------
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing podman, runc and debootstrap"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap) >/dev/null
fi
conf=/etc/containers/containers.conf
if [ -e "$conf" ] && ! grep -q 'sportello podman-check' "$conf"; then
  echo "$conf exists: make sure it sets runtime = \"runc\", cgroup_manager = \"cgroupfs\" and" \
       "default_ulimits within the hard limits (see deploy/README.md), then add a line" \
       "'# sportello podman-check' to it" >&2
  exit 1
fi
if [ ! -e "$conf" ]; then
  # crun refuses the hybrid cgroup layout; there is no systemd to manage cgroups or keep events;
  # podman's default ulimits are above the hard limits a container may set here.
  cat >>"$conf" <<EOF
# sportello podman-check: runtime and limits this machine allows
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
fi

# --- the base image: Debian minbase with Python 3.11 and this host's CA certificates -------------
mkdir -p "$CACHE"
if ! podman image exists "$PYTHON_IMAGE"; then
  say "making $PYTHON_IMAGE with debootstrap"
  root="$CACHE/rootfs-$SUITE"
  rm -rf "$root"
  debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log"; exit 1; }
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # The host may reach PyPI through a TLS-intercepting proxy: its CAs go in the image's trust store.
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends python3.11 python3-venv ca-certificates \
    && update-ca-certificates && apt-get clean && rm -rf /var/lib/apt/lists/*' >"$CACHE/chroot.log" 2>&1 \
    || { tail -20 "$CACHE/chroot.log"; exit 1; }
  : >"$root/etc/resolv.conf"
  tar -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' - "$PYTHON_IMAGE" >/dev/null
  rm -rf "$root"
fi

# --- uv's image: the uv binary from its wheel on PyPI ---------------------------------------------
if ! podman image exists "$UV_IMAGE"; then
  say "making $UV_IMAGE from the uv $UV_VERSION wheel"
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary :all: -d "$tmp" "uv==$UV_VERSION" 2>/dev/null
  mkdir "$tmp/root"
  (cd "$tmp" && python3 -m zipfile -e uv-*.whl wheel)
  cp "$tmp"/wheel/uv-*.data/scripts/uv "$tmp"/wheel/uv-*.data/scripts/uvx "$tmp/root/"
  chmod 755 "$tmp"/root/*
  tar -C "$tmp/root" -c . | podman import - "$UV_IMAGE" >/dev/null
  rm -rf "$tmp"
fi

# --- the image itself: the unchanged Dockerfile, with the local images as its arguments ----------
say "building $IMAGE"
start=$SECONDS
podman build --network host --pull=never \
  --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" --build-arg UV_IMAGE="$UV_IMAGE" \
  -f deploy/Dockerfile -t "$IMAGE" . >"$CACHE/build.log" 2>&1 || { tail -40 "$CACHE/build.log"; exit 1; }
say "built in $((SECONDS - start))s, $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}')"

# --- every process from it, then the compose stack ------------------------------------------------
args=(--image "$IMAGE" --podman-compose "$UV tool run --quiet --from podman-compose==$PODMAN_COMPOSE_VERSION podman-compose")
[ "${SPORTELLO_PODMAN_SKIP_COMPOSE:-}" = 1 ] && args+=(--skip-compose)
$UV run --frozen python deploy/podman_check.py "${args[@]}"
# Dangling layers of earlier builds: the cache keeps the base images, not every old build.
podman image prune -f >/dev/null 2>&1 || true
