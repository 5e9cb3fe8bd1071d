#!/usr/bin/env bash
# Where the HTTP echo server's event-loop thread spends its time, per request, split by who owns the code (the
# kernel, the transport, Netty's channel/pipeline, the HTTP codec, buffers, the executor, the JVM): perf samples
# of that one thread (cpu-clock, self time) under wrk, with the JIT's symbol map, in interleaved rounds.
#
#   benchmarks/loop-profile.sh [--no-build] [--out DIR] [options of benchmarks/loop_profile.py]
#
# Defaults: our io_uring and epoll sources (batched submitter), Netty epoll and io_uring; keep-alive at 16 and 256
# connections, pipelined x16 at 256, connection churn; 2 rounds of 5 s (about 5 minutes). Writes DIR/loop-profile.md
# (default benchmarks/results/latest). Needs perf (Debian: linux-perf) and wrk, as benchmarks/http-bench.sh does,
# which installs both.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build=1
out="$here/results/latest"
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --out) out="$2"; shift ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed -n 's/^# \{0,1\}//p'; exec python3 "$here/loop_profile.py" --help ;;
        *) args+=("$1") ;;
    esac
    shift
done
for tool in perf wrk jcmd; do
    command -v "$tool" >/dev/null || { echo "loop-profile: $tool not found (benchmarks/http-bench.sh installs perf and wrk)" >&2; exit 1; }
done
if [ "$build" = 1 ]; then
    (cd "$root" && mvn -B -q -DskipTests -pl examples -am package)
fi
exec python3 "$here/loop_profile.py" --examples-jar "$root/examples/target/userpoll-examples.jar" --out "$out" "${args[@]}"
