#!/usr/bin/env bash
# tests/lib/deps.sh -- `make deps`: install with apt-get (Debian 12) what the
# build and the tests need.  Does nothing but say so when all is installed.
# Root runs apt-get directly, anyone else through sudo.
#
# The packaged daemons (ceph, swift, memcached) are never started: a
# policy-rc.d that forbids it is in place during the install (only if there
# was none), and their systemd units are disabled afterwards where systemd
# runs.  The tests start their own servers (tests/lib/ceph-rgw.sh,
# tests/lib/swift-s3api.sh).
set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev
	libsqlite3-dev libjansson-dev liblz4-dev libexpat1-dev libinih-dev
	# Ceph RGW, the first S3 server the tests run
	ceph-mon ceph-osd radosgw ceph-common
	# OpenStack Swift with s3api, the second
	swift swift-proxy swift-account swift-container swift-object python3-swift memcached
	# tools the test scripts use
	curl zip unzip rsync attr iproute2 python3 procps psmisc
	# t0700: self-signed certificates for a TLS relay in front of RGW
	openssl
	# t0620: PRAGMA quick_check of the cache databases after a full disk
	sqlite3
	# man pages: t0530 formats each with man --warnings (groff)
	man-db groff-base
	# fstab mounts (t0520): mount(8), unshare, findmnt; and systemd-analyze
	# verify of the units in contrib/
	mount util-linux systemd
	# the peers `make bench` (tests/bench/bench.sh) measures lakemount against
	# (awscli: `aws s3 cp`, the upload the write scenarios are judged by)
	s3fs rclone awscli
)

# "ii": installed and configured; anything else (absent, half-installed,
# removed with its config left) is installed again
installed=" $({ dpkg-query -W -f='${Package}:${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true; } |
	sed -n 's/^\([^:]*\):ii.*/\1/p' | tr '\n' ' ') "
missing=()
for p in "${PKGS[@]}"; do
	case $installed in *" $p "*) ;; *) missing+=("$p") ;; esac
done

if [ ${#missing[@]} = 0 ]; then
	echo "deps: all ${#PKGS[@]} packages are installed"
	exit 0
fi

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps: not root and no sudo: install as root: apt-get install ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
echo "deps: installing ${missing[*]}"

policy=/usr/sbin/policy-rc.d
made_policy=
cleanup() { [ -z "$made_policy" ] || $SUDO rm -f "$policy"; }
trap cleanup EXIT
if [ ! -e "$policy" ]; then
	# exit 101 = "action forbidden": invoke-rc.d starts no service
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi

apt=($SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	units=$(systemctl list-unit-files --no-legend 'ceph*' 'radosgw*' 'swift*' 'memcached*' 2>/dev/null |
		awk '$2 != "static" && $2 != "masked" { print $1 }')
	if [ -n "$units" ]; then
		# shellcheck disable=SC2086
		$SUDO systemctl disable --now $units >/dev/null 2>&1 || true
	fi
fi
echo "deps: done"
