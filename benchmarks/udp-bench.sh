#!/usr/bin/env bash
# UDP echo benchmark: the example udp-echo-server on each transport (server pinned to core 0, udp-echo-client
# on core 1), interleaved rounds; datagrams per second, the server event-loop thread's CPU per datagram (and
# the process's), ratios to Netty epoll's datagram channel (recvmmsg). Prints a markdown table.
#
#   benchmarks/udp-bench.sh [--quick] [--no-build] [options of benchmarks/udp_bench.py]
#
# --quick: 2 rounds of 150,000 datagrams (about 2 minutes); the default (5 rounds of 500,000) takes about 10.
# `python3 benchmarks/udp_bench.py --help` documents the rest (arms, sizes, window, cores).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$root/examples/target/userpoll-examples.jar"
build=1
args=()
for a in "$@"; do
    case "$a" in
        --no-build) build=0 ;;
        --quick) args+=(--rounds 2 --datagrams 150000 --warmup 150000) ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed -n 's/^# \{0,1\}//p'; exec python3 "$here/udp_bench.py" --help ;;
        *) args+=("$a") ;;
    esac
done
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
if [ "$build" = 1 ] || [ ! -f "$jar" ]; then
    (cd "$root" && mvn -B -q -DskipTests package)
fi
exec python3 "$here/udp_bench.py" --jar "$jar" "${args[@]}"
