#!/usr/bin/env bash
# Install what scripts/postfix.sh needs on Debian/Ubuntu, as root, without ever starting or
# configuring the system's own Postfix instance:
#
#   scripts/postfix-install.sh
#
# Skips everything when `postfix` and `saslpasswd2` are already there. The debconf answer
# "No configuration" keeps the package from writing a usable /etc/postfix/main.cf, and a
# temporary /usr/sbin/policy-rc.d (exit 101) keeps invoke-rc.d from starting the service;
# a policy-rc.d that was there before is put back afterwards.
set -euo pipefail

die() { echo "postfix-install.sh: $*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

if have postfix && have saslpasswd2; then
    echo "postfix-install.sh: postfix and saslpasswd2 already installed"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root"

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections

policy=/usr/sbin/policy-rc.d
backup=""
if [ -e "$policy" ]; then
    backup="$(mktemp)"
    cp -p "$policy" "$backup"
fi
restore_policy() {
    if [ -n "$backup" ]; then
        cp -p "$backup" "$policy"
        rm -f "$backup"
    else
        rm -f "$policy"
    fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod +x "$policy"

apt-get update -qq
apt-get install -y -qq --no-install-recommends postfix sasl2-bin libsasl2-modules >/dev/null

have postfix || die "postfix still missing after apt-get install"
have saslpasswd2 || die "saslpasswd2 still missing after apt-get install"
echo "postfix-install.sh: installed postfix, sasl2-bin, libsasl2-modules"
