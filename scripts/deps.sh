#!/bin/sh
# deps.sh - install every Debian package mxray's build, tests and demo need.
#
# Noninteractive and idempotent. No system service is started: a policy-rc.d
# that refuses service starts is in place while apt runs (and removed after
# if we put it there). The machine's own Postfix is installed with
# "No configuration", so /etc/postfix and the resolver are left alone; the
# sandbox runs private instances under a temporary directory.
set -eu

PACKAGES="
 build-essential pkg-config clang
 libssl-dev libopendkim-dev libspf2-dev libunbound-dev libmilter-dev
 libhiredis-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libpsl-dev
 redis-server redis-tools postfix nsd ldnsutils nginx-light swaks python3-dkim
 libnet-ssleay-perl libio-socket-ssl-perl miltertest
 openssl ca-certificates dns-root-data curl iproute2 procps util-linux
 chromium
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
ours=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# mxray deps.sh: no service starts during install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	ours=yes
fi
# an if, not &&: under set -e a false test here would fail the whole run
cleanup() { if [ "$ours" = yes ]; then rm -f "$policy"; fi; }
trap cleanup EXIT INT TERM

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "deps: installing:$missing"
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
