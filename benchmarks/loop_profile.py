#!/usr/bin/env python3
"""Where the event-loop thread's time goes, per request, by owner (run through benchmarks/loop-profile.sh).

For each load and transport (in interleaved rounds): start the example echo server (--threads 1) on the server core,
warm it up with wrk on the client core, then sample only its event-loop thread (`perf record -e cpu-clock -t TID`)
for a window under the same load, read the thread's CPU time over that window (schedstat), and write the JIT's
symbol map (`jcmd PID Compiler.perfmap`). Each sample's own function (no call graph: self time) is put in a bucket
by who owns the code:

  kernel            everything in the kernel (TCP, io_uring, epoll, the scheduler)
  transport         the transport's own Java code: dev.userpoll.* for ours, io.netty.channel.{epoll,uring,unix}.*
                    for Netty's, plus the transport's JNI library
  channel/pipeline  Netty's generic channel code (io.netty.channel.*: pipeline, contexts, outbound buffer, allocators
                    of the read loop)
  HTTP codec        io.netty.handler.codec.* and the example's handler
  buffers           io.netty.buffer.* (pooled allocator, ByteBuf accessors)
  executor/util     io.netty.util.* (the event-loop executor, task queue, Recycler, FastThreadLocal)
  JDK library       java.*, jdk.*, sun.* (collections, atomics, NIO's selector for the NIO arm is transport)
  JVM/libc          libjvm, the interpreter and runtime stubs, libc (its system-call wrappers included)
  other             the rest

The JIT inlines, so a sample counts where its compiled method starts: a callee inlined into a caller of another
bucket is counted in the caller's. Read the buckets as owners of compiled units, not of source lines; the total is
exact. µs per request = share of samples x the loop thread's CPU per request in the same window.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_bench as hb  # noqa: E402  (the harness: server start, wrk, loop-thread CPU)

BUCKETS = ["kernel", "transport", "channel/pipeline", "HTTP codec", "buffers", "executor/util", "JDK library",
           "JVM/libc", "other"]
TRANSPORT_PREFIXES = ("dev.userpoll.transport", "io.netty.channel.epoll", "io.netty.channel.uring",
                      "io.netty.channel.unix", "io.netty.channel.nio", "io.netty.channel.socket.nio", "sun.nio.ch")


def bucket(dso, sym):
    if dso.startswith("[kernel") or dso in ("[vdso]", "[vsyscall]"):
        return "kernel"
    if ".so" in dso:  # a shared library: a transport's JNI library, else the JVM itself or libc
        return "transport" if "transport_native" in dso else "JVM/libc"
    # JIT code (perfmap): "[return type] pkg.Class.method(args)"; a bare address is a blob the map did not name.
    name = sym.split("(")[0].split()[-1] if sym else ""
    if name.startswith(TRANSPORT_PREFIXES):
        return "transport"
    if name.startswith(("io.netty.handler.codec", "dev.userpoll.examples")):
        return "HTTP codec"
    if name.startswith(("io.netty.channel", "io.netty.bootstrap")):
        return "channel/pipeline"
    if name.startswith("io.netty.buffer"):
        return "buffers"
    if name.startswith("io.netty.util"):
        return "executor/util"
    if name.startswith(("java.", "jdk.", "sun.")):
        return "JDK library"
    if "Interpreter" in sym or "stub" in sym.lower() or "adapter" in sym.lower():
        return "JVM/libc"
    return "other"


def profile_window(args, server, load, seconds, perf_data):
    """Samples the loop thread while wrk drives load; returns (requests, loop CPU ns)."""
    rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(args.frequency), "-t",
                            server.loop_tid, "-o", perf_data], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.3)
    cpu0 = hb.thread_cpu_ns(server.proc.pid, server.loop_tid)
    result, _ = hb.run_wrk(args, server.url, load, seconds)
    cpu1 = hb.thread_cpu_ns(server.proc.pid, server.loop_tid)
    rec.send_signal(2)
    rec.wait(30)
    return result["requests"], cpu1 - cpu0


def buckets_of(perf_data, pid):
    if pid:  # the JIT's symbols, written now that every window's code is compiled
        subprocess.run(["jcmd", str(pid), "Compiler.perfmap"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run(["perf", "report", "-i", perf_data, "--no-children", "--stdio", "-F", "overhead,dso,sym",
                          "-t", "|", "--percent-limit", "0", "-g", "none"], capture_output=True, text=True).stdout
    shares = collections.Counter()
    top = collections.Counter()
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) < 3 or not parts[0].strip().endswith("%"):
            continue
        pct, dso = float(parts[0].strip().rstrip("%")), parts[1].strip()
        sym = re.sub(r"^\[.\]\s*", "", "|".join(parts[2:]).strip())
        b = bucket(dso, sym)
        shares[b] += pct
        if b in ("transport", "JDK library", "other"):
            top[(b, sym[:110])] += pct
    return shares, top


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples-jar", required=True)
    p.add_argument("--transports", default="userpoll:io_uring@userpoll.ioSubmitter=batched,"
                                           "userpoll:epoll@userpoll.ioSubmitter=batched,netty-epoll,netty-io_uring")
    p.add_argument("--loads", default="c16,c256,c256-p16,churn")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--warm", type=int, default=20, help="seconds of 256-connection warm-up per server")
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--frequency", type=int, default=4999)
    p.add_argument("--top", type=int, default=6, help="transport, JDK and other symbols listed per arm and load")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--server-jvm-opts", default="-Xms512m -Xmx512m -XX:+AlwaysPreTouch "
                                                "-Dio.netty.leakDetection.level=disabled")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    args.jars = {}
    os.makedirs(args.out, exist_ok=True)
    args.logdir = tempfile.mkdtemp(prefix="loop-profile-")
    args.wrk_script = os.path.join(args.logdir, "wrk-report.lua")
    with open(args.wrk_script, "w") as f:
        f.write(hb.WRK_SCRIPT)
    arms = args.transports.split(",")
    loads = args.loads.split(",")
    acc = {}  # (load, label) -> [requests, cpu_ns, Counter of share*cpu]
    tops = collections.defaultdict(collections.Counter)
    for rnd in range(args.rounds):
        for arm in arms:
            server = hb.Server(args, arm, args.logdir)
            try:
                server.wait_listening()
                hb.run_wrk(args, server.url, "c256", args.warm)
                for load in loads:
                    hb.run_wrk(args, server.url, load, 2)
                    data = os.path.join(args.logdir, "perf.data")
                    reqs, cpu = profile_window(args, server, load, args.window, data)
                    shares, top = buckets_of(data, server.proc.pid)
                    total = sum(shares.values()) or 1.0
                    e = acc.setdefault((load, server.label), [0, 0, collections.Counter()])
                    e[0] += reqs
                    e[1] += cpu
                    for b, s in shares.items():
                        e[2][b] += cpu * s / total
                    for k, s in top.items():
                        tops[(load, server.label)][k] += s / total
                    hb.log(f"round {rnd + 1} {load} {server.label}: {cpu / max(reqs, 1) / 1000:.2f} us/request")
            finally:
                server.stop()
    lines = ["## Where the loop thread's time goes, µs per request (self time by owner of the compiled code)", "",
             f"`benchmarks/loop-profile.sh {' '.join(sys.argv[1:])}`: {args.rounds} interleaved rounds of "
             f"{args.window} s windows per transport and load after a {args.warm} s warm-up; server on core "
             f"{args.server_cpu}, wrk on core {args.client_cpu}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
             "", "| load | transport | " + " | ".join(BUCKETS) + " | total | user space |",
             "|---|---|" + "---:|" * (len(BUCKETS) + 2)]
    for load in loads:
        for arm in arms:
            label = hb.parse_arm(arm)[0]
            reqs, cpu, parts = acc[(load, label)]
            per = lambda ns: ns / max(reqs, 1) / 1000  # noqa: E731
            user = sum(v for b, v in parts.items() if b != "kernel")
            lines.append(f"| {hb.LOADS[load][2]} | {label} | " + " | ".join(f"{per(parts[b]):.2f}" for b in BUCKETS)
                         + f" | {per(cpu):.2f} | {per(user):.2f} |")
    lines += ["", "Largest transport, JDK and other symbols (share of the loop thread's samples, mean over rounds):", ""]
    for (load, label), top in sorted(tops.items()):
        best = ", ".join(f"{sym} {100 * s / args.rounds:.1f}%" for (b, sym), s in top.most_common(args.top))
        lines.append(f"- {hb.LOADS[load][2]}, {label}: {best}")
    with open(os.path.join(args.out, "loop-profile.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
