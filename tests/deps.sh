#!/bin/sh
# deps.sh: installs the Debian packages orgaudit needs to build, test, run
# the demo and the benchmarks.  Idempotent; says nothing when nothing is
# missing.  Run by 'make deps' (and so by 'make test' and 'make demo').
set -eu

PKGS="gcc make pkg-config libfcgi-dev libcurl4-openssl-dev libjansson-dev
libmariadb-dev libssl-dev libarchive-dev zlib1g-dev libargon2-dev libcmocka-dev
mariadb-server mariadb-client spawn-fcgi python3 wrk time curl chromium
openssl tar gzip galera-4 rsync socat mandoc binutils clang-14
libfuzzer-14-dev libclang-rt-14-dev python3-cryptography logrotate
python3-jsonschema"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
# Any nginx will do (nginx, nginx-light, nginx-full); install the small one.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
    missing="$missing nginx-light"
# Node.js for the browser tests: any node and npm on PATH will do.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

# playwright-core drives Debian's Chromium; it never downloads a browser.
browser_deps() {
	[ -d tests/browser/node_modules/playwright-core ] && return 0
	echo "deps: installing playwright-core for the browser tests"
	(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
	    npm ci --no-audit --no-fund --loglevel=error) || {
		echo "deps: npm ci in tests/browser failed" >&2
		exit 1
	}
}

cd "$(dirname "$0")/.."
if [ -z "$missing" ]; then
	browser_deps
	exit 0
fi

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
browser_deps
echo "deps: done"
