#!/usr/bin/env bash
# HTTP load harness: the example echo server on every transport, and the kernel's floor (`floor`: a minimal C
# epoll server of ours, benchmarks/floor/floor-server.c, built with gcc, answering the same bytes), wrk as the
# load generator, each pinned to its own core; interleaved rounds of keep-alive at 16 and 256 connections,
# pipelined (depth 16, as TechEmpower's plaintext test), connection churn (Connection: close), 256 active of
# 10,000 connections and 64 KiB echo bodies; the event-loop thread's own CPU per request beside the process's,
# CPU above the floor, spread over rounds with a noisy flag, system calls per request by kind, the loop
# statistics per request (GET /stats), memory per idle connection, p50/p99 latency, ratios to Netty epoll.
# Writes a markdown table, CSVs and a PNG chart.
#
#   benchmarks/http-bench.sh [--quick] [--out DIR] [--no-build] [options of benchmarks/http_bench.py]
#
# --quick finishes in about 15 minutes (2 rounds of 3 s windows); the default run (8 arms, 6 loads, 5 rounds of
# 10 s) takes about 65 minutes.
# Everything else (rounds, window, transports, loads, cores) is documented by `benchmarks/http_bench.py --help`.
# Needs root (or sudo) only to install missing Debian packages: wrk (the load generator), linux-perf (system
# call counts from tracepoints; optional, the columns say n/a without it).
#
# Comparing builds (before/after a change) in one interleaved run: name each other build's examples jar with
# --jar BUILD=PATH and prefix its arms with BUILD: (the label keeps the prefix); arms without a prefix run this
# checkout's jar. Build the old commit in a separate clone (mvn -o -B -q -DskipTests package) and copy its
# examples/target/userpoll-examples.jar out first, e.g.
#   benchmarks/http-bench.sh --jar before=/tmp/userpoll-examples-OLD.jar \
#       --jar after=examples/target/userpoll-examples.jar --transports \
#       before:userpoll:io_uring@userpoll.ioSubmitter=batched,after:userpoll:io_uring@userpoll.ioSubmitter=batched,netty-epoll
# (labelled before:userpoll:io_uring+batched, after:userpoll:io_uring+batched, netty-epoll).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
examples_jar="$root/examples/target/userpoll-examples.jar"
benchmarks_jar="$root/benchmarks/target/benchmarks.jar"

build=1
args=()
for a in "$@"; do
    case "$a" in
        --no-build) build=0 ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed -n 's/^# \{0,1\}//p'; exec python3 "$here/http_bench.py" --help ;;
        *) args+=("$a") ;;
    esac
done

log() { printf 'http-bench: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root to run: $*"; return 1; fi
}

apt_updated=0
apt_install() { # $1 = package, $2 = why
    if ! command -v apt-get >/dev/null; then
        log "cannot install $1 ($2): no apt-get on this machine; install it by hand"
        return 1
    fi
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update (once), to install missing packages"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        apt_updated=1
    fi
    log "installing $1: $2"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

for tool in java python3 taskset; do
    command -v "$tool" >/dev/null || { log "$tool is required"; exit 2; }
done
if [ "$(nproc)" -lt 2 ]; then
    log "needs at least 2 cores (server and load generator each pinned to one); this machine has $(nproc)"
    exit 2
fi
command -v wrk >/dev/null || apt_install wrk "the HTTP load generator" || { log "wrk is required"; exit 2; }
if ! command -v perf >/dev/null; then
    apt_install linux-perf "system call counts per request (perf tracepoints)" \
        || log "continuing without perf: no system call counts"
fi

# Build once, and only when a jar is missing or older than a source or pom; the rounds reuse the same jars.
stale() { # $1 = jar
    [ ! -f "$1" ] && return 0
    [ -n "$(find "$root" \( -name .git -o -name target -o -name results \) -prune -o \
        \( -name '*.java' -o -name '*.c' -o -name '*.h' -o -name pom.xml -o -name Makefile \) \
        -newer "$1" -print -quit 2>/dev/null)" ]
}
if [ "$build" = 1 ] && { stale "$examples_jar" || stale "$benchmarks_jar"; }; then
    log "building the examples and benchmarks jars (mvn package, tests not compiled)"
    # -DskipTests, not -Dmaven.test.skip: the examples depend on the transport's test jar (the emulated kernel).
    (cd "$root" && mvn -B -ntp -q -DskipTests package -pl examples,benchmarks -am)
fi
for jar in "$examples_jar" "$benchmarks_jar"; do
    [ -f "$jar" ] || { log "missing $jar (run without --no-build)"; exit 2; }
done

exec python3 "$here/http_bench.py" --examples-jar "$examples_jar" --benchmarks-jar "$benchmarks_jar" \
    --command "benchmarks/http-bench.sh $*" "${args[@]}"
