#!/usr/bin/env bash
# Serve every fixture zone (fixtures/zones/**/*.zone, root.zone included) with Knot DNS on
# 127.0.0.1:PORT (UDP and TCP), for tests/knot_interop.rs:
#
#   scripts/knot.sh start DIR PORT   # writes DIR/knot.conf, starts knotd, waits until every zone answers
#   scripts/knot.sh stop DIR
#   MAILPREFLIGHT_KNOT=127.0.0.1:PORT cargo test --test knot_interop
#
# Needs the Debian/Ubuntu packages `knot` (knotd, knotc) and `knot-dnsutils` (kdig).
# A zone's origin is its `; origin:` header, else its first $ORIGIN line.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
zones_dir="${MAILPREFLIGHT_ZONES:-$repo/fixtures/zones}"

die() { echo "knot.sh: $*" >&2; exit 1; }

origin_of() {
    local file="$1" origin
    origin="$(sed -n 's/^;[[:space:]]*origin:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$file" | head -n1)"
    if [ -z "$origin" ]; then
        origin="$(sed -n 's/^\$ORIGIN[[:space:]]\+\([^[:space:];]*\).*/\1/p' "$file" | head -n1)"
    fi
    [ -n "$origin" ] || die "$file: no '; origin:' header and no \$ORIGIN line"
    case "$origin" in *.) ;; *) origin="$origin." ;; esac
    echo "$origin" | tr 'A-Z' 'a-z'
}

start() {
    local dir="$1" port="$2"
    command -v knotd >/dev/null || die "knotd not found (apt-get install knot knot-dnsutils)"
    command -v kdig >/dev/null || die "kdig not found (apt-get install knot-dnsutils)"
    mkdir -p "$dir/run" "$dir/storage"
    dir="$(cd "$dir" && pwd)"
    local conf="$dir/knot.conf" seen="$dir/origins"
    : > "$seen"
    {
        echo "server:"
        echo "    rundir: \"$dir/run\""
        echo "    listen: 127.0.0.1@$port"
        echo "database:"
        echo "    storage: \"$dir/storage\""
        echo "log:"
        echo "  - target: \"$dir/knot.log\""
        echo "    any: info"
        echo "template:"
        echo "  - id: default"
        echo "    storage: \"$dir/storage\""
        # Serve the files as they are: never write back, no journal, reload whole files.
        echo "    zonefile-sync: -1"
        echo "    zonefile-load: whole"
        echo "    journal-content: none"
        echo "    semantic-checks: on"
        echo "zone:"
    } > "$conf"
    local file origin
    while IFS= read -r file; do
        origin="$(origin_of "$file")"
        if grep -qxF "$origin" "$seen"; then
            die "$file: origin $origin is already served by $(grep -F " $origin" "$dir/zones" | head -n1 | cut -d' ' -f1)"
        fi
        echo "$origin" >> "$seen"
        echo "$file $origin" >> "$dir/zones"
        echo "  - domain: \"$origin\""
        echo "    file: \"$file\""
    done < <(find "$zones_dir" -name '*.zone' -type f | LC_ALL=C sort) >> "$conf"
    [ -s "$seen" ] || die "no zone files under $zones_dir"
    knotc -c "$conf" conf-check >/dev/null || die "bad configuration $conf"
    knotd -c "$conf" -d
    # Ready when every zone answers its own SOA authoritatively.
    local deadline=$((SECONDS + 20))
    while IFS= read -r origin; do
        until kdig @127.0.0.1 -p "$port" +time=1 +retry=0 +norecurse "$origin" SOA 2>/dev/null \
            | grep -q "Flags: qr aa.*ANSWER: 1"; do
            if [ $SECONDS -ge $deadline ]; then
                tail -n 30 "$dir/knot.log" >&2 || true
                stop "$dir" || true
                die "zone $origin does not answer on 127.0.0.1:$port (log above)"
            fi
            sleep 0.2
        done
    done < "$seen"
    echo "knot.sh: knotd serving $(wc -l < "$seen") zones on 127.0.0.1:$port (config $conf)"
}

stop() {
    local dir="$1" pid
    [ -f "$dir/run/knot.pid" ] || { echo "knot.sh: not running in $dir"; return 0; }
    pid="$(cat "$dir/run/knot.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$dir/run/knot.pid" "$dir/zones" "$dir/origins"
    echo "knot.sh: stopped knotd ($pid)"
}

case "${1:-}" in
    start) [ $# -eq 3 ] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR PORT | stop DIR" ;;
esac
