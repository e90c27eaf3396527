#!/usr/bin/env bash
# A private, throwaway Postfix instance with Cyrus SASL (sasldb) on loopback, for the SMTP
# integration tests. Nothing outside DIR is written: /etc/postfix and the system instance are
# left alone, and mail is never relayed anywhere.
#
#   scripts/postfix.sh start DIR SUBMISSION_PORT SMTPS_PORT CERT_PEM KEY_PEM USER PASSWORD_ENV_NAME [RELAY_PORT]
#   scripts/postfix.sh stop DIR
#
#   127.0.0.1:SUBMISSION_PORT  plaintext greeting, STARTTLS required before MAIL
#                              (smtpd_tls_security_level=encrypt), AUTH only after STARTTLS
#   127.0.0.1:SMTPS_PORT       implicit TLS (smtpd_tls_wrappermode=yes), AUTH offered
#   127.0.0.1:RELAY_PORT       (optional) an unauthenticated relay: plaintext, STARTTLS offered,
#                              no AUTH at all; MAIL FROM accepted from anyone, every RCPT TO
#                              refused by smtpd_relay_restrictions (554 5.7.1 <rcpt>: Recipient
#                              address rejected: Access denied), as a relay for authenticated senders only
#   AUTH mechanisms            PLAIN LOGIN (Cyrus SASL, DIR/conf/sasl/smtpd.conf, auxprop
#                              sasldb DIR/conf/sasl/sasldb2)
#   USER / password            USER exactly as given (e.g. user@example.test); the password is
#                              read from the environment variable named PASSWORD_ENV_NAME and
#                              only ever reaches saslpasswd2 on stdin
#   MAIL FROM / RCPT TO        only after AUTH, rejected at MAIL FROM otherwise (530 5.7.0
#                              before STARTTLS on submission, 554 5.7.1 after it / on smtps);
#                              every recipient of every domain is accepted once authenticated
#   stored mail                every recipient of every message lands in the one Maildir
#                              DIR/mail: a file DIR/mail/new/<unique name> per message and
#                              recipient, starting with "Return-Path: <sender>" and
#                              "Delivered-To: <recipient>". Delivery happens a moment after the
#                              250 to DATA (the virtual(8) agent), so poll for the file.
#   log                        DIR/log/maillog
#
# CERT_PEM may hold a chain (server certificate first); KEY_PEM is the unencrypted key. Both are
# copied into DIR/conf/tls. Must run as root (smtpd drops to the `postfix` user, so DIR and
# its parents must be traversable by that user). Needs the Debian packages postfix, sasl2-bin
# and libsasl2-modules (scripts/postfix-install.sh installs them) and openssl.
set -euo pipefail

die() { echo "postfix.sh: $*" >&2; exit 1; }

PATH="$PATH:/usr/sbin:/sbin"

# The instance's processes, found by the MAIL_CONFIG that master hands every child.
instance_pids() {
    local conf="$1" env pid
    for env in /proc/[0-9]*/environ; do
        pid="${env#/proc/}"
        pid="${pid%/environ}"
        [ "$pid" != "$$" ] || continue
        if { tr '\0' '\n' < "$env"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$conf"; then
            echo "$pid"
        fi
    done
}

is_running() {
    local conf="$1"
    [ -f "$conf/main.cf" ] && postfix -c "$conf" status >/dev/null 2>&1
}

smtp_banner() {
    local port="$1" line=""
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    IFS= read -r -t 2 line <&3 || true
    exec 3>&- 3<&-
    case "$line" in 220\ *) return 0 ;; *) return 1 ;; esac
}

smtps_banner() {
    local port="$1"
    { sleep 0.3; printf 'QUIT\r\n'; } \
        | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$port" 2>/dev/null \
        | grep -q '^220 '
}

start() {
    local dir="$1" sub_port="$2" smtps_port="$3" cert="$4" key="$5" user="$6" pw_var="$7"
    local relay_port="${8:-}"
    if [ -n "$relay_port" ]; then
        case "$relay_port" in *[!0-9]*) die "bad port '$relay_port'" ;; esac
        [ "$relay_port" -ge 1 ] && [ "$relay_port" -le 65535 ] && [ "$relay_port" -ne 25 ] || die "bad port '$relay_port'"
    fi
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    command -v postfix >/dev/null || die "postfix not found (scripts/postfix-install.sh)"
    command -v saslpasswd2 >/dev/null || die "saslpasswd2 not found (scripts/postfix-install.sh)"
    command -v openssl >/dev/null || die "openssl not found"
    id postfix >/dev/null 2>&1 || die "no 'postfix' user (scripts/postfix-install.sh)"
    local port
    for port in "$sub_port" "$smtps_port"; do
        case "$port" in ''|*[!0-9]*) die "bad port '$port'" ;; esac
        [ "$port" -ge 1 ] && [ "$port" -le 65535 ] && [ "$port" -ne 25 ] || die "bad port '$port'"
    done
    [ "$sub_port" -ne "$smtps_port" ] || die "SUBMISSION_PORT and SMTPS_PORT must differ"
    [ -r "$cert" ] || die "cannot read certificate $cert"
    [ -r "$key" ] || die "cannot read key $key"
    case "$user" in ''|*[[:space:]:]*) die "bad USER '$user'" ;; esac
    case "$pw_var" in ''|*[!A-Za-z0-9_]*|[0-9]*) die "bad PASSWORD_ENV_NAME '$pw_var'" ;; esac
    [ -n "${!pw_var+set}" ] || die "environment variable $pw_var is not set"
    [ -n "${!pw_var}" ] || die "environment variable $pw_var is empty"
    case "${!pw_var}" in *$'\n'*|*$'\r'*) die "the password in $pw_var contains a line break" ;; esac

    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    case "$dir" in *[[:space:],=\$]*) die "DIR must not contain spaces, ',', '=' or '\$': $dir" ;; esac
    local conf="$dir/conf" queue="$dir/queue" data="$dir/data" sasl="$dir/conf/sasl"
    local mail="$dir/mail" log="$dir/log"
    is_running "$conf" && die "already running in $dir (scripts/postfix.sh stop $dir)"

    # smtpd (as postfix) reads DIR/conf/sasl; virtual (as nobody) writes DIR/mail.
    chmod 0755 "$dir"
    if ! runuser -u postfix -- test -x "$dir"; then
        local up="$dir"
        while [ "$up" != / ] && ! runuser -u postfix -- test -x "$(dirname "$up")"; do
            up="$(dirname "$up")"
        done
        die "$dir is not reachable by the postfix user: $up is not searchable by it (e.g. chmod 755 it; mktemp -d makes 0700 directories)"
    fi
    mkdir -p "$conf/tls" "$sasl" "$queue" "$data" "$mail" "$log"
    chown root:root "$conf" "$queue"
    chmod 0755 "$conf" "$queue" "$log"
    chown postfix:postfix "$data"
    chmod 0700 "$data"
    chown root:postfix "$sasl"
    chmod 0750 "$sasl"
    # The catch-all Maildir DIR/mail/{tmp,new,cur}, written by virtual(8) as nobody.
    mkdir -p "$mail/tmp" "$mail/new" "$mail/cur"
    chown nobody:nogroup "$mail" "$mail/tmp" "$mail/new" "$mail/cur"
    chmod 0755 "$mail" "$mail/tmp" "$mail/new" "$mail/cur"
    chmod 0700 "$conf/tls"
    install -m 0644 "$cert" "$conf/tls/cert.pem"
    install -m 0600 "$key" "$conf/tls/key.pem"

    # SASL users: exactly USER. A USER with an '@' is stored as LOCAL in realm DOMAIN, which is
    # how Cyrus splits "LOCAL@DOMAIN" at login; a bare USER goes in realm "localhost", which is
    # smtpd_sasl_local_domain below, so it logs in as the bare name.
    local sasl_user="$user" realm="localhost"
    case "$user" in
        *@*) sasl_user="${user%@*}"; realm="${user##*@}" ;;
    esac
    [ -n "$sasl_user" ] && [ -n "$realm" ] || die "bad USER '$user'"
    rm -f "$sasl/sasldb2" "$sasl"/sasldb2.*
    # printf is a builtin: the password never appears on a command line.
    printf '%s' "${!pw_var}" | saslpasswd2 -p -c -f "$sasl/sasldb2" -u "$realm" "$sasl_user" \
        || die "saslpasswd2 failed"
    [ -f "$sasl/sasldb2" ] || die "saslpasswd2 did not create $sasl/sasldb2"
    chown root:postfix "$sasl/sasldb2"
    chmod 0640 "$sasl/sasldb2"
    cat > "$sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $sasl/sasldb2
mech_list: PLAIN LOGIN
EOF
    chmod 0644 "$sasl/smtpd.conf"

    local nobody_uid nogroup_gid
    nobody_uid="$(id -u nobody)"
    nogroup_gid="$(getent group nogroup | cut -d: -f3)"
    [ -n "$nogroup_gid" ] || die "no 'nogroup' group"

    cat > "$conf/main.cf" <<EOF
# Written by scripts/postfix.sh: a throwaway test instance. Do not edit.
compatibility_level = 3.6
config_directory = $conf
queue_directory = $queue
data_directory = $data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $log/maillog
maillog_file_prefixes = $log
syslog_name = postfix-test
myhostname = localhost
mydomain = localdomain
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP mailpreflight test instance
biff = no
smtputf8_enable = no
# Store what the client sent: no address rewriting in headers, no added Message-ID/Date/From/To
# (the stored copy gets only Return-Path, X-Original-To, Delivered-To and Received on top).
local_header_rewrite_clients =
always_add_missing_headers = no

# Never relay, never make an outbound connection: there are no smtp/lmtp/relay/local
# services in master.cf, every domain is a virtual mailbox domain, and the other address
# classes bounce locally.
relayhost =
relay_domains =
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
relay_transport = error:5.7.1 relaying disabled
default_transport = error:5.7.1 relaying disabled
virtual_transport = virtual
virtual_mailbox_domains = static:all
# One catch-all Maildir for everyone: \$virtual_mailbox_base/mail/ = $mail/ (virtual(8)
# allows no regexp substitution in its maps, so there is no per-recipient path).
virtual_mailbox_base = $dir
virtual_mailbox_maps = static:mail/
virtual_uid_maps = static:$nobody_uid
virtual_gid_maps = static:$nogroup_gid
virtual_minimum_uid = 1
virtual_mailbox_limit = 0
message_size_limit = 10240000
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h

# Only authenticated clients may send, rejected already at MAIL FROM.
smtpd_delay_reject = no
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions = permit_sasl_authenticated, reject
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
# Upstream Postfix reads \$cyrus_sasl_config_path/\$smtpd_sasl_path.conf; Debian's build
# (debian/patches/07_sasl_config) ignores it and reads \$config_directory/sasl/smtpd.conf.
# Both are $sasl.
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $sasl
smtpd_sasl_local_domain = localhost
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
broken_sasl_auth_clients = no
smtpd_tls_auth_only = yes

smtpd_tls_cert_file = $conf/tls/cert.pem
smtpd_tls_key_file = $conf/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_session_cache_database =
tls_random_source = dev:/dev/urandom
EOF

    # chroot column "n" everywhere; only the two loopback listeners are inet services.
    cat > "$conf/master.cf" <<EOF
# Written by scripts/postfix.sh. service type private unpriv chroot wakeup maxproc command
127.0.0.1:$sub_port inet n - n - - smtpd
  -o syslog_name=postfix-test/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
127.0.0.1:$smtps_port inet n - n - - smtpd
  -o syslog_name=postfix-test/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
${relay_port:+127.0.0.1:$relay_port inet n - n - - smtpd
  -o syslog_name=postfix-test/relay
  -o smtpd_sasl_auth_enable=no
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=
}cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

    : >> "$log/maillog"
    if ! postfix -c "$conf" check > "$log/start.out" 2>&1; then
        cat "$log/start.out" >&2
        die "postfix check failed for $conf"
    fi
    if ! postfix -c "$conf" start >> "$log/start.out" 2>&1; then
        cat "$log/start.out" >&2
        tail -n 30 "$log/maillog" >&2 || true
        stop "$dir" >/dev/null 2>&1 || true
        die "postfix did not start (output and log above)"
    fi

    local deadline=$((SECONDS + 20))
    until smtp_banner "$sub_port" 2>/dev/null && smtps_banner "$smtps_port" \
        && { [ -z "$relay_port" ] || smtp_banner "$relay_port" 2>/dev/null; }; do
        if [ $SECONDS -ge $deadline ]; then
            tail -n 30 "$log/maillog" >&2 || true
            stop "$dir" >/dev/null 2>&1 || true
            die "no SMTP greeting on 127.0.0.1:$sub_port and TLS greeting on 127.0.0.1:$smtps_port (log above)"
        fi
        sleep 0.2
    done
    echo "postfix.sh: postfix listening on 127.0.0.1:$sub_port (submission) and 127.0.0.1:$smtps_port (smtps), config $conf, mail in $mail"
}

stop() {
    local dir="$1" conf pids pid
    [ -d "$dir" ] || { echo "postfix.sh: not running in $dir"; return 0; }
    dir="$(cd "$dir" && pwd)"
    conf="$dir/conf"
    local was_running=""
    if is_running "$conf"; then
        was_running=1
        postfix -c "$conf" stop >> "$dir/log/start.out" 2>&1 || true
    fi
    # Wait for the children too; anything left after 5 s is killed by its pid.
    for _ in $(seq 50); do
        pids="$(instance_pids "$conf")"
        [ -n "$pids" ] || break
        sleep 0.1
    done
    pids="$(instance_pids "$conf")"
    if [ -n "$pids" ]; then
        was_running=1
        for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
    fi
    if [ -n "$was_running" ]; then
        echo "postfix.sh: stopped postfix in $dir"
    else
        echo "postfix.sh: not running in $dir"
    fi
}

case "${1:-}" in
    start)
        [ $# -eq 8 ] || [ $# -eq 9 ] || die "usage: $0 start DIR SUBMISSION_PORT SMTPS_PORT CERT_PEM KEY_PEM USER PASSWORD_ENV_NAME [RELAY_PORT]"
        start "$2" "$3" "$4" "$5" "$6" "$7" "$8" "${9:-}"
        ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR SUBMISSION_PORT SMTPS_PORT CERT_PEM KEY_PEM USER PASSWORD_ENV_NAME | stop DIR" ;;
esac
