#!/usr/bin/env bash
# Runs a command of this source tree inside a Debian root of another release, to build and test
# supervise on that release's PostgreSQL (Debian 13 "trixie": 17; unstable "sid": 18):
#
#   sudo tools/debian-root.sh trixie tools/test.sh --quick
#   sudo tools/debian-root.sh sid bash          # a shell in the root, the tree in /src
#
# The root is made once with `debootstrap --variant=minbase` from the mirror this machine's apt
# uses, and kept in $SUPERVISE_ROOTS (default /var/tmp/supervise-roots/SUITE) for the next run.
# Each run copies the tree's tracked and untracked-but-not-ignored files into the root's /src
# (a clean copy: no build products of the host), mounts /proc, /sys and /dev for the run and
# unmounts them at the end. The command runs as root with an empty environment (no locale, as
# in a container) apart from PATH, HOME, CI and PGV.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 SUITE COMMAND [ARG...]" >&2; exit 2; }
suite=$1; shift
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
cd "$(dirname "$0")/.."
top=$(pwd)
root=${SUPERVISE_ROOTS:-/var/tmp/supervise-roots}/$suite

# the Debian mirror apt uses on this machine (deb822 sources or the one-line format)
mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\/debian\)\/\{0,1\} .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}

if [ ! -e "$root/.supervise-ready" ]; then
  command -v debootstrap >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  echo "== debootstrap $suite from $mirror into $root"
  rm -rf "$root"
  mkdir -p "$root"
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || { tail -30 "$root.debootstrap.log"; exit 1; }
  # set-up of the test root, not of the product: unstable's mirror can serve a Release file past
  # its Valid-Until date
  echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99supervise-test-root"
  echo 'APT::Install-Recommends "false";' >>"$root/etc/apt/apt.conf.d/99supervise-test-root"
  touch "$root/.supervise-ready"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# packages installed in the root start no services (their servers would listen in this machine's
# network): the tests start their own clusters
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -R -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc sys dev; do
  mountpoint -q "$root/$m" && continue
  case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys" ;;
    dev) mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev" ;;
  esac
  mounted+=("$root/$m")
done

rm -rf "$root/src"
mkdir -p "$root/src"
git -C "$top" ls-files -z --cached --others --exclude-standard \
  | (cd "$top" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$root/src"
# a copy of the project's shared notes beside the tree, where a clone has them
[ -d "$top/../shared" ] && { rm -rf "$root/shared"; cp -r "$top/../shared" "$root/shared"; }

chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root TERM=dumb CI="${CI:-}" ${PGV:+PGV=$PGV} ${FUZZ_SHORT_SECONDS:+FUZZ_SHORT_SECONDS=$FUZZ_SHORT_SECONDS} \
  bash -c 'cd /src && exec "$@"' bash "$@"
