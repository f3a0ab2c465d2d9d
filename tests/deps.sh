#!/bin/sh
# deps.sh: installs the Debian packages orgaudit needs to build, test, run
# the demo and the benchmarks.  Idempotent; says nothing when nothing is
# missing.  Run by 'make deps' (and so by 'make test' and 'make demo').
set -eu

PKGS="gcc make pkg-config libfcgi-dev libcurl4-openssl-dev libjansson-dev
libmariadb-dev libssl-dev libarchive-dev libargon2-dev libcmocka-dev
mariadb-server mariadb-client spawn-fcgi python3 wrk time curl"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
# Any nginx will do (nginx, nginx-light, nginx-full); install the small one.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
    missing="$missing nginx-light"
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq &&
    $SUDO apt-get install -y -qq --no-install-recommends $missing; } \
    >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: apt-get failed; the packages above are needed" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
echo "deps: done"
