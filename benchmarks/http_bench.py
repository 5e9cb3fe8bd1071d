#!/usr/bin/env python3
"""HTTP load harness driver (run through benchmarks/http-bench.sh, which installs wrk and builds the jars).

Starts the example echo server once per transport, all pinned to one core (--server-cpu), and drives
them with wrk pinned to another (--client-cpu). The arm `floor` is the kernel's floor: a minimal C epoll
server of our own (benchmarks/floor/floor-server.c, built here with gcc) answering the same bytes.

1. warm-up, per transport: one slice of every load, then 256-connection slices until two in a row agree on
   the event-loop thread's CPU per request within the tolerance and the JIT compiled at most
   --warm-max-compilations methods in the last slice (jstat; the compilation has settled);
2. measurement rounds, interleaved: for each round, for each load, every transport in turn (A B C A B C);
   each window records wrk's requests and latency percentiles, the event-loop thread's own CPU time (the thread
   named http-loop-*, /proc/PID/task/TID/schedstat) beside the whole process's (JIT and GC threads included),
   the JIT compilations during the window, the loop statistics (GET /stats, userpoll arms) and what else ran on
   the two cores (/proc/stat minus our processes); the idle10k load first opens 9,744 idle connections and
   reports the server's RSS growth per connection;
3. one system-call round: the same windows with `perf stat -e raw_syscalls:sys_enter,syscalls:sys_enter_*`
   attached to the server, kept apart because counting tracepoints slows every system call a little;
4. the report: medians over rounds with min and max, the spread of the loop thread's CPU per request and a
   noisy flag, CPU above the floor arm's, ratios to netty-epoll, noise warnings (table.md, windows.csv,
   syscalls.csv, summary.csv) and chart.png (drawn by the benchmarks jar).
"""
import argparse
import hashlib
import json
import socket
import urllib.request
import datetime
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

LOADS = {
    # name: (active connections wrk drives, pipeline depth, label (no commas: it goes into CSVs), request mode,
    # idle connections held open)
    # modes: get = keep-alive GET /; close = GET / with Connection: close (a new connection per request);
    # bodyN = POST /echo with an N-byte body
    "c16": (16, 1, "16 conns", "get", 0),
    "c256": (256, 1, "256 conns", "get", 0),
    "c256-p16": (256, 16, "256 conns pipelined 16", "get", 0),
    "churn": (16, 1, "16 conns Connection: close", "close", 0),
    "idle10k": (256, 1, "256 active + 9744 idle conns", "get", 10000 - 256),
    "body64k": (16, 1, "16 conns 64 KiB echo", "body65536", 0),
}
DEFAULT_TRANSPORTS = ("floor,userpoll:io_uring@userpoll.ioSubmitter=batched,userpoll:io_uring@userpoll.ioSubmitter=direct,"
                      "userpoll:epoll@userpoll.ioSubmitter=batched,userpoll:epoll@userpoll.ioSubmitter=direct,"
                      "netty-epoll,netty-io_uring,nio")
BASELINE = "netty-epoll"
# The C server of the kernel's floor (benchmarks/floor/floor-server.c): CPU above it is what a transport and its
# framework can change.
FLOOR = "floor"
# The example server names its event-loop threads http-loop-N-M (/proc/PID/task/TID/comm keeps 15 characters).
LOOP_THREAD_PREFIX = "http-loop"
# Loop statistics (GET /stats) shown per request in the report, by their UserpollLoopStatistics names.
LOOP_STATS = ["passes", "readyEvents", "ioCompletions", "readyListRetries", "parks", "wakeups", "kernelEntries",
              "parkEntries", "submitEntries", "wakeupEntries", "registrationEntries", "pollEntries",
              "batchedOperations", "batchSubmits"]
# Settings a report needs; kept in raw.json so that --report-only can rebuild the report.
REPORT_SETTINGS = ["rounds", "window", "syscall_window", "loads", "server_cpu", "client_cpu", "server_jvm_opts",
                   "noise_threshold", "spread_threshold", "command", "jars"]
# System calls counted by name; everything else is "other" (raw_syscalls:sys_enter minus these).
SYSCALLS = [
    "read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "io_uring_enter",
    "futex", "accept", "accept4", "close", "shutdown", "setsockopt", "getsockopt",
    "sched_yield", "nanosleep", "clock_nanosleep", "mmap", "munmap", "mprotect", "madvise",
]
USER_HZ = os.sysconf("SC_CLK_TCK")
WRK_SCRIPT = r"""
-- Written by http_bench.py. Optional pipelining (args[1] = depth) as TechEmpower's pipeline.lua; args[2] is the
-- request mode: get, close (Connection: close, wrk reconnects for every request) or bodyN (POST /echo, N bytes).
-- done() prints one line the driver parses.
local depth = 1
init = function(args)
  depth = tonumber(args[1]) or 1
  local mode = args[2] or "get"
  if mode == "close" then
    wrk.headers["Connection"] = "close"
  elseif mode:sub(1, 4) == "body" then
    wrk.method = "POST"
    wrk.path = "/echo"
    wrk.headers["Content-Type"] = "application/octet-stream"
    wrk.body = string.rep("x", tonumber(mode:sub(5)))
  end
  if depth > 1 then
    local r = {}
    for i = 1, depth do r[i] = wrk.format(nil) end
    local req = table.concat(r)
    request = function() return req end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d errors=%d non2xx=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_cpu(cpu):
    """(busy ticks excluding steal, steal ticks) of one core from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
                return user + nice + system + irq + softirq, steal
    raise RuntimeError(f"cpu{cpu} not in /proc/stat")


def process_cpu_ns(pid):
    """CPU time of every live thread of pid (nanoseconds, from schedstat)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def thread_cpu_ns(pid, tid):
    """CPU time of one thread (nanoseconds, schedstat; /proc/PID/task/TID/stat fields 14+15 count the same
    time in clock ticks)."""
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])


def find_loop_thread(pid, timeout=10):
    """The tid of the server's one event-loop thread, found by name (the floor server's is its main thread)."""
    deadline = time.time() + timeout
    while True:
        found = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    if f.read().startswith(LOOP_THREAD_PREFIX):
                        found.append(tid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise RuntimeError(f"{len(found)} threads named {LOOP_THREAD_PREFIX}*: expected one (--threads 1)")
        if time.time() > deadline:
            raise RuntimeError(f"no thread named {LOOP_THREAD_PREFIX}* in process {pid}")
        time.sleep(0.1)


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def compilations(pid):
    """Methods the JIT has compiled so far in a JVM (jstat -compiler), or None (no jstat, not a JVM)."""
    if not shutil.which("jstat"):
        return None
    try:
        p = subprocess.run(["jstat", "-compiler", str(pid)], capture_output=True, text=True, timeout=20)
        return int(p.stdout.splitlines()[1].split()[0])
    except (OSError, subprocess.TimeoutExpired, IndexError, ValueError):
        return None


def loop_stats(server):
    """The server's loop statistics (GET /stats, the group's sum), or None on another transport."""
    if not server.userpoll:
        return None
    try:
        with urllib.request.urlopen(server.url + "stats", timeout=5) as r:
            return json.load(r)["group"]
    except (OSError, ValueError, KeyError):
        return None


class IdleConnections:
    """Connections opened to the server and left idle (nothing sent) while a window runs."""

    def __init__(self, url, count):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < count + 256:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))
        m = re.match(r"http://([^/:]+|\[[^\]]+\]):(\d+)/", url)
        host, port = m.group(1).strip("[]"), int(m.group(2))
        self.sockets = []
        try:
            for _ in range(count):
                self.sockets.append(socket.create_connection((host, port), timeout=10))
        except OSError:
            self.close()
            raise

    def close(self):
        for s in self.sockets:
            s.close()
        self.sockets = []


def parse_arm(entry, jar_names=()):
    """[BUILD:]TRANSPORT[@PROPERTY=VALUE]...: (label, transport, extra JVM options, build or None).

    BUILD is a name given with --jar BUILD=PATH (the server runs from that jar instead of --examples-jar) and
    stays in the label; the label appends +VALUE per property: before:userpoll:io_uring@userpoll.ioSubmitter=batched
    is labelled before:userpoll:io_uring+batched."""
    parts = entry.split("@")
    build, transport = None, parts[0]
    if transport == FLOOR:
        if len(parts) > 1:
            raise ValueError(f"'{entry}': the floor arm takes no properties")
        return FLOOR, FLOOR, [], None
    prefix, sep, rest = transport.partition(":")
    if sep and prefix in jar_names:
        build, transport = prefix, rest
    elif sep and prefix != "userpoll":
        raise ValueError(f"'{entry}': no build '{prefix}' (name its jar with --jar {prefix}=PATH)")
    props = [x for x in parts[1:] if x]
    for x in props:
        if "=" not in x:
            raise ValueError(f"'{entry}': expected [BUILD:]TRANSPORT@PROPERTY=VALUE")
    label = parts[0] + "".join("+" + x.split("=", 1)[1] for x in props)
    return label, transport, ["-D" + x for x in props], build


def parse_jars(p, specs):
    """--jar BUILD=PATH options: {build: {"path": absolute path, "sha256": first 12 hex digits}}."""
    jars = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name == "userpoll" or not path:
            p.error(f"--jar {spec}: expected BUILD=PATH, BUILD of letters, digits, _ . - (and not 'userpoll')")
        if name in jars:
            p.error(f"--jar {name} given twice")
        path = os.path.abspath(path)
        if not os.path.isfile(path):
            p.error(f"--jar {spec}: no such file {path}")
        with open(path, "rb") as f:
            jars[name] = {"path": path, "sha256": hashlib.sha256(f.read()).hexdigest()[:12]}
    return jars


class Server:
    def __init__(self, args, arm, logdir):
        self.label, self.transport, extra, build = parse_arm(arm, args.jars)
        self.jar = args.jars[build]["path"] if build else args.examples_jar
        self.log_path = os.path.join(logdir, f"server-{re.sub(r'[^A-Za-z0-9_.+-]', '_', self.label)}.log")
        self.floor = self.transport == FLOOR
        self.userpoll = self.transport.startswith("userpoll")
        if self.floor:
            self.jar = args.floor_server
            cmd = ["taskset", "-c", str(args.server_cpu), args.floor_server, "--port", "0"]
        else:
            cmd = ["taskset", "-c", str(args.server_cpu), "java"] + args.server_jvm_opts.split() + extra + [
                "-jar", self.jar, "http-echo-server", "--port", "0", "--threads", "1",
                "--transport", self.transport]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.url = None
        self.line = None
        self.loop_tid = None

    def wait_listening(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log_path) as f:
                text = f.read()
            m = re.search(r"http-echo-server listening on (http://\S+) transport=(\S+).*", text)
            if m:
                if m.group(2) != self.transport:
                    raise RuntimeError(f"asked for {self.transport}, the server chose {m.group(2)}")
                self.url, self.line = m.group(1), m.group(0)
                self.loop_tid = str(self.proc.pid) if self.floor else find_loop_thread(self.proc.pid)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {text.strip()[-800:]}")
            time.sleep(0.1)
        raise RuntimeError(f"server did not start within {timeout} s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def run_wrk(args, url, load, seconds):
    """Runs wrk pinned to the client core; returns (parsed result, wrk's CPU seconds)."""
    conns, depth, _, mode, _ = LOADS[load]
    cmd = ["taskset", "-c", str(args.client_cpu), "wrk", "-t1", f"-c{conns}", f"-d{seconds}s",
           "--timeout", "5s", "-s", args.wrk_script, url, "--", str(depth), mode]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    m = re.search(r"WRKRESULT (.*)", out)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {out.strip()[-800:]}")
    result = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result, usage.ru_utime + usage.ru_stime


def window(args, server, load, seconds, perf_events=None):
    """One measured window (with the load's idle connections held open around it); with perf_events, also the
    server's system calls."""
    idle_count = LOADS[load][4]
    if not idle_count:
        return measure(args, server, load, seconds, perf_events)
    idle = IdleConnections(server.url, idle_count)
    try:
        time.sleep(1.0)  # the server accepts and registers them
        row = measure(args, server, load, seconds, perf_events)
    finally:
        idle.close()
    row["idle_conns"] = idle_count
    time.sleep(0.5)  # the closes reach the server before the next window
    return row


def live_heap_bytes(pid):
    """A JVM's live heap after a full GC (jcmd GC.run, then GC.heap_info's "used" of every generation), or None.
    A JVM pinned to one core picks the Serial collector, whose young generation is empty after the full GC."""
    if not shutil.which("jcmd"):
        return None
    try:
        subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, timeout=30)
        p = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True, timeout=30)
        # Every generation's (Serial, Parallel: young and old) or the one heap's (G1) "total NK, used NK".
        used = [int(x) for x in re.findall(r"(?:generation|heap)\s+total \d+K, used (\d+)K", p.stdout)]
        return sum(used) * 1024 if used else None
    except (OSError, subprocess.TimeoutExpired):
        return None


# After the memory round's warm-up burst: the JVM frees its JIT compiler's arenas every 5 s.
MEMORY_SETTLE_SECONDS = 6.0


def memory_round(args, arm, count):
    """Memory per idle connection on a fresh server (memory freed by earlier loads would hide the growth): RSS
    growth, and for a JVM the live heap's growth after a full GC, when `count` idle connections are opened. The same
    number of connections is opened and closed once first, and the arenas the JIT compiler took while compiling for
    that burst are let go, so that what it compiles is not counted as memory per connection (on a cold server that
    was most of the RSS growth, on whichever arm compiled then: JVM native memory tracking,
    benchmarks/results/issue17-churn)."""
    s = Server(args, arm, args.logdir)
    try:
        s.wait_listening()
        pid = s.proc.pid
        time.sleep(1.0)
        IdleConnections(s.url, count).close()
        time.sleep(MEMORY_SETTLE_SECONDS)
        heap0, rss0 = (None if s.floor else live_heap_bytes(pid)), rss_bytes(pid)
        idle = IdleConnections(s.url, count)
        try:
            time.sleep(2.0)  # accepted and registered
            heap1, rss1 = (None if s.floor else live_heap_bytes(pid)), rss_bytes(pid)
        finally:
            idle.close()
        return {"transport": s.label, "idle_conns": count, "rss_bytes_per_conn": (rss1 - rss0) / count,
                "heap_bytes_per_conn": None if heap0 is None or heap1 is None else (heap1 - heap0) / count}
    finally:
        s.stop()


def measure(args, server, load, seconds, perf_events=None):
    pid = server.proc.pid
    perf = None
    perf_out = None
    jit0 = None if server.floor else compilations(pid)
    stats0 = loop_stats(server)
    if perf_events:
        perf_out = os.path.join(args.logdir, "perf-stat.csv")
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", perf_out, "-p", str(pid),
                                 "-e", ",".join(perf_events)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # let perf attach to every thread before the load starts
    s_busy0, s_steal0 = read_cpu(args.server_cpu)
    c_busy0, c_steal0 = read_cpu(args.client_cpu)
    cpu0 = process_cpu_ns(pid)
    loop0 = thread_cpu_ns(pid, server.loop_tid)
    t0 = time.monotonic()
    result, wrk_cpu = run_wrk(args, server.url, load, seconds)
    elapsed = time.monotonic() - t0
    loop1 = thread_cpu_ns(pid, server.loop_tid)
    cpu1 = process_cpu_ns(pid)
    s_busy1, s_steal1 = read_cpu(args.server_cpu)
    c_busy1, c_steal1 = read_cpu(args.client_cpu)
    server_cpu_s = (cpu1 - cpu0) / 1e9
    tick = 1.0 / USER_HZ
    row = dict(result)
    row.update({
        "elapsed_s": elapsed,
        "server_cpu_s": server_cpu_s,
        "cpu_us_per_req": server_cpu_s * 1e6 / max(1, result["requests"]),
        "loop_us_per_req": (loop1 - loop0) / 1e3 / max(1, result["requests"]),
        "server_core_busy_pct": 100 * (s_busy1 - s_busy0) * tick / elapsed,
        # Others on a core: its busy time minus our process's CPU time there (wrk for the client core).
        "others_server_core_pct": 100 * max(0.0, (s_busy1 - s_busy0) * tick - server_cpu_s) / elapsed,
        "others_client_core_pct": 100 * max(0.0, (c_busy1 - c_busy0) * tick - wrk_cpu) / elapsed,
        "steal_pct": 100 * max(s_steal1 - s_steal0, c_steal1 - c_steal0) * tick / elapsed,
    })
    stats1 = loop_stats(server)
    if stats0 and stats1:
        row["loop_stats"] = {k: stats1[k] - stats0[k] for k in LOOP_STATS if k in stats0 and k in stats1}
    jit1 = None if jit0 is None else compilations(pid)
    row["jit_compilations"] = None if jit1 is None else jit1 - jit0
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait(10)
        counts = {}
        with open(perf_out) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) < 3 or line.startswith("#"):
                    continue
                name = parts[2]
                try:
                    counts[name] = int(parts[0])
                except ValueError:
                    counts[name] = None
        row["syscalls"] = counts
    return row


def perf_events_available():
    if not shutil.which("perf"):
        return None, "perf is not installed"
    events = ["raw_syscalls:sys_enter"]
    try:  # perf mounts tracefs when it first resolves a tracepoint; until then (after boot) syscalls/ is absent
        subprocess.run(["perf", "stat", "-e", events[0], "--", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"perf does not run: {e}"
    for name in SYSCALLS:
        if os.path.exists(f"/sys/kernel/tracing/events/syscalls/sys_enter_{name}") or \
                os.path.exists(f"/sys/kernel/debug/tracing/events/syscalls/sys_enter_{name}"):
            events.append(f"syscalls:sys_enter_{name}")
    try:
        p = subprocess.run(["perf", "stat", "-x", ",", "-e", ",".join(events), "--", "true"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"perf does not run: {e}"
    bad = [l for l in p.stderr.splitlines() if "<not supported>" in l or "<not counted>" in l]
    if p.returncode != 0 or bad or "raw_syscalls:sys_enter" not in p.stderr:
        return None, "perf cannot count syscall tracepoints here: " + (p.stderr.strip()[-300:] or str(p.returncode))
    return events, None


def warm_up(args, server):
    """One slice of every load, then 256-connection slices until two in a row agree on the loop thread's CPU per
    request within the tolerance and the JIT has (nearly) stopped compiling. Returns ([(req/s, loop µs/request,
    compilations)] of the 256-connection slices, settled)."""
    for load in args.loads:
        r, _ = run_wrk(args, server.url, load, args.warm_slice)
        log(f"  warm {server.label} {load}: {r['rps']:.0f} req/s")
    prev = None
    history = []
    pid = server.proc.pid
    for i in range(args.warm_max_slices):
        jit0 = None if server.floor else compilations(pid)
        loop0 = thread_cpu_ns(pid, server.loop_tid)
        r, _ = run_wrk(args, server.url, "c256", args.warm_slice)
        loop_us = (thread_cpu_ns(pid, server.loop_tid) - loop0) / 1e3 / max(1, r["requests"])
        jit = None if jit0 is None else (compilations(pid) or jit0) - jit0
        history.append((r["rps"], loop_us, jit))
        log(f"  warm {server.label} c256 slice {i + 1}: {r['rps']:.0f} req/s, loop thread {loop_us:.2f} us/req, "
            f"{'n/a' if jit is None else jit} JIT compilations")
        quiet = jit is None or jit <= args.warm_max_compilations
        if prev is not None and i + 1 >= args.warm_min_slices and quiet and \
                abs(loop_us - prev) <= args.warm_tolerance * max(loop_us, prev):
            return history, True
        prev = loop_us
    return history, False


def median_min_max(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt_rate(v):
    return f"{v / 1000:.1f}k" if v >= 10000 else f"{v:.0f}"


def fmt_mmm(mmm, fmt):
    if mmm is None:
        return "n/a"
    med, lo, hi = mmm
    return f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 rounds of 3 s windows, short warm-up (about 6 minutes for 7 arms)")
    p.add_argument("--rounds", type=int, help="measurement rounds (default 5; quick 2)")
    p.add_argument("--window", type=int, help="seconds per measured window (default 10; quick 3)")
    p.add_argument("--syscall-window", type=int, help="seconds per system-call window (default 5; quick 2)")
    p.add_argument("--warm-slice", type=int, help="seconds per warm-up slice (default 3; quick 2)")
    p.add_argument("--warm-min-slices", type=int, help="minimum 256-connection warm-up slices (default 3; quick 2)")
    p.add_argument("--warm-max-slices", type=int, help="maximum 256-connection warm-up slices (default 15; quick 3)")
    p.add_argument("--warm-tolerance", type=float, default=0.05,
                   help="warm-up stability of the loop thread's CPU per request, relative (0.05)")
    p.add_argument("--warm-max-compilations", type=int, default=10,
                   help="warm-up: at most this many JIT compilations in the last slice (10)")
    p.add_argument("--spread-threshold", type=float, default=15.0,
                   help="flag a load and arm as noisy when its rounds' loop-thread CPU per request spreads by more "
                        "than this percentage of the median, (max - min) / median (15)")
    p.add_argument("--transports", default=DEFAULT_TRANSPORTS,
                   help=f"comma list ({DEFAULT_TRANSPORTS}); an entry may add system properties: "
                        "TRANSPORT@PROPERTY=VALUE (labelled TRANSPORT+VALUE), and may run from a jar given "
                        "with --jar: BUILD:TRANSPORT[@PROPERTY=VALUE] (labelled BUILD:TRANSPORT+VALUE)")
    p.add_argument("--loads", default=",".join(LOADS), help=f"comma list of {', '.join(LOADS)}")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--server-jvm-opts", default="-Xms512m -Xmx512m -XX:+AlwaysPreTouch -Dio.netty.leakDetection.level=disabled")
    p.add_argument("--noise-threshold", type=float, default=3.0,
                   help="warn when others used more than this percentage of a core during a window (3)")
    p.add_argument("--out", default=None, help="output directory (default benchmarks/results/latest)")
    p.add_argument("--report-only", action="store_true", help="rebuild the report of --out from its raw.json")
    p.add_argument("--jar", action="append", default=[], metavar="BUILD=PATH",
                   help="another build's examples jar (repeatable), for arms BUILD:TRANSPORT...; to compare builds "
                        "in one interleaved run, e.g. --jar before=/tmp/examples-old.jar "
                        "--jar after=examples/target/userpoll-examples.jar --transports "
                        "before:userpoll:io_uring@userpoll.ioSubmitter=batched,"
                        "after:userpoll:io_uring@userpoll.ioSubmitter=batched,netty-epoll")
    p.add_argument("--examples-jar", required=True, help="the jar of arms without BUILD: (this checkout's)")
    p.add_argument("--benchmarks-jar", required=True)
    p.add_argument("--command", default="benchmarks/http-bench.sh")
    args = p.parse_args()

    q = args.quick
    args.rounds = args.rounds or (2 if q else 5)
    args.window = args.window or (3 if q else 10)
    args.syscall_window = args.syscall_window or (2 if q else 5)
    args.warm_slice = args.warm_slice or (2 if q else 3)
    args.warm_min_slices = args.warm_min_slices or (2 if q else 3)
    args.warm_max_slices = args.warm_max_slices or (3 if q else 15)
    args.jars = parse_jars(p, args.jar)
    args.transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    labels = []
    for t in args.transports:
        try:
            labels.append(parse_arm(t, args.jars)[0])
        except ValueError as e:
            p.error(str(e))
    if len(set(labels)) != len(labels):
        p.error(f"two arms with the same label: {', '.join(sorted({l for l in labels if labels.count(l) > 1}))}")
    args.loads = [l.strip() for l in args.loads.split(",") if l.strip()]
    for l in args.loads:
        if l not in LOADS:
            p.error(f"unknown load {l}; valid: {', '.join(LOADS)}")
    here = os.path.dirname(os.path.abspath(__file__))
    args.out = os.path.abspath(args.out or os.path.join(here, "results", "latest"))
    os.makedirs(args.out, exist_ok=True)
    args.logdir = os.path.join(args.out, "logs")
    os.makedirs(args.logdir, exist_ok=True)
    if args.report_only:
        report_only(args)
        return
    idle_max = max((LOADS[l][4] for l in args.loads), default=0)
    if idle_max:
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY and hard < idle_max + 1024:
            p.error(f"the idle-connection loads hold {idle_max} connections open, and the servers as many: the hard "
                    f"limit of open files is {hard} (raise it, e.g. `ulimit -Hn 65536` as root, or leave those loads "
                    f"out with --loads)")
    if FLOOR in args.transports:
        args.floor_server = build_floor(here, p)
        if args.floor_server is None:
            args.transports.remove(FLOOR)
    args.wrk_script = os.path.join(args.logdir, "wrk-report.lua")
    with open(args.wrk_script, "w") as f:
        f.write(WRK_SCRIPT)

    started = datetime.datetime.now(datetime.timezone.utc)
    machine = machine_info(args)
    log(f"machine: {machine['cpu']}, {machine['cores']} cores, kernel {machine['kernel']}, "
        f"load average {machine['load_before']}")
    perf_events, perf_problem = perf_events_available()
    if perf_problem:
        log(f"no system call counts: {perf_problem}")

    servers = []
    try:
        for t in args.transports:
            s = Server(args, t, args.logdir)
            try:
                s.wait_listening()
            except RuntimeError as e:
                log(f"skipping {t}: {e}")
                s.stop()
                continue
            log(f"{t}: {s.line}" + (f" (from {s.jar})" if s.jar != args.examples_jar else ""))
            servers.append(s)
        if not servers:
            raise SystemExit("no server started")

        warm = {}
        for s in servers:
            log(f"warming {s.label}")
            warm[s.label] = warm_up(args, s)
            if not warm[s.label][1]:
                log(f"  {s.label}: throughput did not settle within {args.warm_max_slices} slices; going on")

        width = max(22, *(len(s.label) for s in servers))
        windows = []
        total = args.rounds * len(args.loads) * len(servers)
        n = 0
        for rnd in range(1, args.rounds + 1):
            for load in args.loads:
                for s in servers:
                    n += 1
                    row = window(args, s, load, args.window)
                    row.update(round=rnd, load=load, transport=s.label)
                    windows.append(row)
                    log(f"[{n}/{total}] round {rnd} {load:9s} {s.label:{width}s} {row['rps']:9.0f} req/s "
                        f"loop {row['loop_us_per_req']:6.2f} process {row['cpu_us_per_req']:6.2f} us/req "
                        f"p99 {row['p99_us'] / 1000:6.2f} ms "
                        f"others {row['others_server_core_pct']:.1f}%/{row['others_client_core_pct']:.1f}% "
                        f"steal {row['steal_pct']:.1f}%")
        sys_rows = []
        if perf_events:
            for load in args.loads:
                for s in servers:
                    row = window(args, s, load, args.syscall_window, perf_events)
                    row.update(load=load, transport=s.label)
                    sys_rows.append(row)
                    raw = row["syscalls"].get("raw_syscalls:sys_enter")
                    log(f"syscalls {load:9s} {s.label:{width}s} "
                        f"{(raw or 0) / max(1, row['requests']):.3f} per request ({row['rps']:.0f} req/s)")
    finally:
        for s in servers:
            s.stop()
    mem_rows = []
    idle_loads = [LOADS[l][4] for l in args.loads if LOADS[l][4]]
    if idle_loads:
        for t in args.transports:
            if parse_arm(t, args.jars)[0] not in [s.label for s in servers]:
                continue
            try:
                row = memory_round(args, t, idle_loads[0])
            except (RuntimeError, OSError) as e:
                log(f"memory of idle connections, {t}: {e}")
                continue
            mem_rows.append(row)
            heap = row["heap_bytes_per_conn"]
            log(f"memory {row['transport']}: RSS {row['rss_bytes_per_conn']:.0f} bytes/connection"
                + ("" if heap is None else f", live heap {heap:.0f} bytes/connection"))
    machine["load_after"] = loadavg()
    finished = datetime.datetime.now(datetime.timezone.utc)
    labels = [s.label for s in servers]
    with open(os.path.join(args.out, "raw.json"), "w") as f:
        json.dump({"settings": {k: getattr(args, k) for k in REPORT_SETTINGS}, "machine": machine,
                   "started": started.isoformat(), "finished": finished.isoformat(), "labels": labels,
                   "warm": warm, "windows": windows, "sys_rows": sys_rows, "mem_rows": mem_rows,
                   "perf_problem": perf_problem}, f, indent=1)
    report(args, machine, started, finished, labels, warm, windows, sys_rows, perf_problem, mem_rows)


def build_floor(here, p):
    """Compiles the floor arm's C server into benchmarks/target (when missing or older than its source)."""
    src = os.path.join(here, "floor", "floor-server.c")
    out = os.path.join(here, "target", "floor-server")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    if not shutil.which("gcc"):
        log("no gcc: the floor arm is left out")
        return None
    os.makedirs(os.path.dirname(out), exist_ok=True)
    r = subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", out, src], capture_output=True, text=True)
    if r.returncode != 0:
        p.error(f"cannot build the floor server: {r.stderr.strip()}")
    log(f"built {out}")
    return out


def report_only(args):
    """Rebuilds table.md, the CSVs and chart.png from a finished run's raw.json."""
    with open(os.path.join(args.out, "raw.json")) as f:
        raw = json.load(f)
    args.jars = {}  # runs from before --jar recorded none
    for k, v in raw["settings"].items():
        setattr(args, k, v)
    report(args, raw["machine"], datetime.datetime.fromisoformat(raw["started"]),
           datetime.datetime.fromisoformat(raw["finished"]), raw["labels"],
           {k: tuple(v) for k, v in raw["warm"].items()}, raw["windows"], raw["sys_rows"], raw["perf_problem"],
           raw.get("mem_rows", []))


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_info(args):
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "java": java[1].strip() if len(java) > 1 else (java[0] if java else "?"),
        "wrk": wrk[0].split(" [")[0] if wrk else "wrk",
        "load_before": loadavg(),
    }


def syscall_kinds(row):
    """{kind: count} with "other" = all entries minus the named ones; None without perf."""
    counts = row.get("syscalls")
    if not counts or counts.get("raw_syscalls:sys_enter") is None:
        return None
    kinds = {}
    named = 0
    for name, c in counts.items():
        if name.startswith("syscalls:sys_enter_") and c:
            kinds[name[len("syscalls:sys_enter_"):]] = c
            named += c
    kinds["other"] = max(0, counts["raw_syscalls:sys_enter"] - named)
    kinds["total"] = counts["raw_syscalls:sys_enter"]
    return kinds


def report(args, machine, started, finished, labels, warm, windows, sys_rows, perf_problem, mem_rows=()):
    out = args.out
    transports = labels
    spread_threshold = getattr(args, "spread_threshold", None) or 15.0
    # Raw windows.
    cols = ["round", "load", "transport", "requests", "duration_us", "rps", "p50_us", "p90_us", "p99_us", "max_us",
            "errors", "non2xx", "server_cpu_s", "cpu_us_per_req", "loop_us_per_req", "jit_compilations",
            "server_core_busy_pct", "others_server_core_pct", "others_client_core_pct",
            "steal_pct", "elapsed_s"]
    with open(os.path.join(out, "windows.csv"), "w") as f:
        f.write(",".join(cols) + ",loop_stats\n")
        for w in windows:
            f.write(",".join(f"{w.get(c):.4f}" if isinstance(w.get(c), float) else
                             ("" if w.get(c) is None else str(w.get(c))) for c in cols)
                    + "," + ";".join(f"{k}={v}" for k, v in (w.get("loop_stats") or {}).items()) + "\n")
    # Raw system-call windows.
    per_req = {}
    all_kinds = []
    for r in sys_rows:
        k = syscall_kinds(r)
        if k is None:
            continue
        per_req[(r["load"], r["transport"])] = {name: c / max(1, r["requests"]) for name, c in k.items()}
        for name in k:
            if name not in all_kinds and name not in ("total", "other"):
                all_kinds.append(name)
    all_kinds = sorted(all_kinds, key=lambda n: SYSCALLS.index(n) if n in SYSCALLS else 99) + ["other", "total"]
    with open(os.path.join(out, "syscalls.csv"), "w") as f:
        f.write("load,transport,requests,rps,cpu_us_per_req," + ",".join(all_kinds) + "\n")
        for r in sys_rows:
            k = syscall_kinds(r) or {}
            f.write(f"{r['load']},{r['transport']},{r['requests']},{r['rps']:.1f},{r['cpu_us_per_req']:.3f},"
                    + ",".join(str(k.get(n, 0)) for n in all_kinds) + "\n")

    # Summary: medians over rounds; the loop thread's CPU above the floor arm's, round by round.
    summary = {}
    for load in args.loads:
        floor_by_round = {w["round"]: w.get("loop_us_per_req") for w in windows
                          if w["load"] == load and w["transport"] == FLOOR}
        for t in transports:
            ws = [w for w in windows if w["load"] == load and w["transport"] == t]
            if not ws:
                continue
            loop = median_min_max([w.get("loop_us_per_req") for w in ws])
            above = median_min_max([w["loop_us_per_req"] - floor_by_round[w["round"]] for w in ws
                                    if w.get("loop_us_per_req") is not None
                                    and floor_by_round.get(w["round"]) is not None]) if t != FLOOR else None
            stats = {}
            for k in LOOP_STATS:
                v = median_min_max([w["loop_stats"][k] / max(1, w["requests"]) for w in ws
                                    if w.get("loop_stats") and k in w["loop_stats"]])
                if v:
                    stats[k] = v[0]
            summary[(load, t)] = {
                "rps": median_min_max([w["rps"] for w in ws]),
                "cpu_us_per_req": median_min_max([w["cpu_us_per_req"] for w in ws]),
                "loop_us_per_req": loop,
                "above_floor_us_per_req": above,
                # (max - min) / median of the loop thread's CPU per request over the rounds, percent.
                "spread_pct": 100 * (loop[2] - loop[1]) / loop[0] if loop and loop[0] else None,
                "jit": max((w.get("jit_compilations") or 0 for w in ws), default=0),
                # wrk sometimes reports 0 for pipelined runs (its latency is per batch, and its
                # coordinated-omission correction assumes one request per connection): left out.
                "p50_us": median_min_max([w["p50_us"] or None for w in ws]),
                "p99_us": median_min_max([w["p99_us"] or None for w in ws]),
                "errors": sum(w["errors"] + w["non2xx"] for w in ws),
                "stats": stats,
            }
    with open(os.path.join(out, "summary.csv"), "w") as f:
        f.write("load,transport,metric,median,min,max\n")
        for (load, t), m in summary.items():
            for metric in ("rps", "loop_us_per_req", "cpu_us_per_req", "above_floor_us_per_req", "p50_us", "p99_us"):
                if m[metric] is None:
                    continue
                med, lo, hi = m[metric]
                f.write(f"{LOADS[load][2]},{t},{metric},{med:.4f},{lo:.4f},{hi:.4f}\n")
            sc = per_req.get((load, t))
            if sc:
                v = sc["total"]
                f.write(f"{LOADS[load][2]},{t},syscalls_per_req,{v:.4f},{v:.4f},{v:.4f}\n")

    noisy = [w for w in windows if max(w["others_server_core_pct"], w["others_client_core_pct"], w["steal_pct"])
             > args.noise_threshold]
    spread_flagged = [k for k, m in summary.items() if m["spread_pct"] is not None
                      and m["spread_pct"] > spread_threshold]
    noisy_run = len(noisy) > len(windows) / 4 or len(spread_flagged) > len(summary) / 4
    lines = []
    lines.append(f"## HTTP echo server: {', '.join(transports)}")
    lines.append("")
    if noisy_run:
        lines.append(f"**NOISY RUN**: {len(noisy)} of {len(windows)} windows had other processes above "
                     f"{args.noise_threshold:g}% of a core, and {len(spread_flagged)} of {len(summary)} load/arm "
                     f"pairs spread by more than {spread_threshold:g}% over their rounds: differences between arms "
                     f"below that spread mean nothing in this run.")
        lines.append("")
    lines.append(f"Run {started:%Y-%m-%d %H:%M} to {finished:%H:%M} UTC with `{args.command.strip()}`: "
                 f"{args.rounds} interleaved rounds of {args.window} s windows per transport and load, "
                 f"after a warm-up; system calls counted in one further {args.syscall_window} s window each "
                 f"(perf tracepoints).")
    lines.append("")
    lines.append(f"Machine: {machine['cpu']}, {machine['cores']} cores, Linux {machine['kernel']}, "
                 f"{machine['java']}, {machine['wrk']}. Server (`--threads 1`, JVM `{args.server_jvm_opts}`) "
                 f"pinned to core {args.server_cpu}, `wrk -t1` pinned to core {args.client_cpu}. "
                 f"Load average {machine['load_before']} before, {machine['load_after']} after.")
    lines.append("")
    if args.jars:
        lines.append("Builds (arms BUILD:TRANSPORT run from BUILD's examples jar, the others from this checkout's): "
                     + "; ".join(f"`{n}` = `{j['path']}` (sha256 {j['sha256']})" for n, j in args.jars.items()) + ".")
        lines.append("")
    lines.append("Medians over rounds (min–max). *Loop* is the event-loop thread's own CPU time per request (for "
                 "`floor`, the C server's one thread); *process* is every thread of the server (JIT compiler and GC "
                 "included); *above floor* is the loop thread's CPU per request minus the floor arm's in the same "
                 "round (what a transport and its framework can change); *spread* is (max − min) / median of the "
                 f"loop thread's CPU per request over the rounds, flagged past {spread_threshold:g}%. System calls "
                 "are every system call of the server process per request. Latency is wrk's (with its "
                 "coordinated-omission correction); pipelined, it is per batch of 16, and windows where wrk "
                 "reported 0 are left out. With `Connection: close` a request is a connection.")
    lines.append("")
    lines.append("| load | transport | requests/s | loop CPU µs/request | process CPU µs/request | above floor µs | "
                 "spread | system calls/request | p50 ms | p99 ms |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    us = lambda v: f"{v:.2f}"
    for (load, t), m in summary.items():
        sc = per_req.get((load, t))
        sc_total = f"{sc['total']:.2f}" if sc else "n/a"
        spread = "n/a" if m["spread_pct"] is None else f"{m['spread_pct']:.0f}%" + (
            " **noisy**" if m["spread_pct"] > spread_threshold else "")
        lines.append(f"| {LOADS[load][2]} | {t} | {fmt_mmm(m['rps'], fmt_rate)} | "
                     f"{fmt_mmm(m['loop_us_per_req'], us)} | {fmt_mmm(m['cpu_us_per_req'], us)} | "
                     f"{'—' if t == FLOOR else fmt_mmm(m['above_floor_us_per_req'], us)} | {spread} | "
                     f"{sc_total} | "
                     f"{fmt_mmm(m['p50_us'], lambda v: f'{v / 1000:.2f}')} | "
                     f"{fmt_mmm(m['p99_us'], lambda v: f'{v / 1000:.2f}')} |")
    lines.append("")
    if BASELINE in transports:
        lines.append(f"Ratio to {BASELINE} (medians; below 1 is better for CPU, system calls and p99, "
                     f"above 1 is better for requests/s):")
        lines.append("")
        lines.append("| load | transport | requests/s | loop CPU/request | CPU above floor | process CPU/request | "
                     "system calls/request | p99 |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        ratio = lambda a, b: f"{a[0] / b[0]:.3f}" if a and b and b[0] else "n/a"
        for (load, t), m in summary.items():
            b = summary.get((load, BASELINE))
            if not b or t in (BASELINE, FLOOR):
                continue
            sc, sb = per_req.get((load, t)), per_req.get((load, BASELINE))
            sratio = f"{sc['total'] / sb['total']:.2f}" if sc and sb and sb["total"] else "n/a"
            lines.append(f"| {LOADS[load][2]} | {t} | {ratio(m['rps'], b['rps'])} | "
                         f"{ratio(m['loop_us_per_req'], b['loop_us_per_req'])} | "
                         f"{ratio(m['above_floor_us_per_req'], b['above_floor_us_per_req'])} | "
                         f"{ratio(m['cpu_us_per_req'], b['cpu_us_per_req'])} | {sratio} | "
                         f"{ratio(m['p99_us'], b['p99_us'])} |")
        lines.append("")
    if mem_rows:
        lines.append(f"Memory per idle connection: each arm's server started afresh, {mem_rows[0]['idle_conns']:,} "
                     "connections opened and closed once (and the JIT compiler's arenas for them let go), then as "
                     "many idle connections opened; the growth of its RSS (the JVM heap is pre-touched, so for a JVM "
                     "this is native memory: direct buffers, rings, thread stacks) and of its live heap after a "
                     "full GC (`jcmd GC.run`, `GC.heap_info`), per connection. The kernel's socket memory is in "
                     "neither.")
        lines.append("")
        lines.append("| transport | RSS bytes/connection | live heap bytes/connection |")
        lines.append("|---|---:|---:|")
        with open(os.path.join(out, "memory.csv"), "w") as f:
            f.write("transport,idle_conns,rss_bytes_per_conn,heap_bytes_per_conn\n")
            for r in mem_rows:
                heap = r["heap_bytes_per_conn"]
                lines.append(f"| {r['transport']} | {r['rss_bytes_per_conn']:.0f} | "
                             f"{'n/a' if heap is None else f'{heap:.0f}'} |")
                f.write(f"{r['transport']},{r['idle_conns']},{r['rss_bytes_per_conn']:.1f},"
                        f"{'' if heap is None else f'{heap:.1f}'}\n")
        lines.append("")
    with_stats = [(k, m) for k, m in summary.items() if m["stats"]]
    if with_stats:
        shown = [k for k in LOOP_STATS if any(m["stats"].get(k, 0) >= 0.0005 for _, m in with_stats)]
        lines.append("Loop statistics per request (`GET /stats` before and after each window, medians; "
                     "`UserpollLoopStatistics`):")
        lines.append("")
        lines.append("| load | transport | " + " | ".join(shown) + " |")
        lines.append("|---|---|" + "---:|" * len(shown))
        for (load, t), m in with_stats:
            lines.append(f"| {LOADS[load][2]} | {t} | " + " | ".join(f"{m['stats'].get(k, 0):.3f}" for k in shown)
                         + " |")
        lines.append("")
    if per_req:
        shown = [k for k in all_kinds if k != "total" and any(v.get(k, 0) >= 0.005 for v in per_req.values())]
        lines.append("System calls per request by kind (kinds below 0.005 everywhere are left out; "
                     "`other` is every system call not named here):")
        lines.append("")
        lines.append("| load | transport | " + " | ".join(shown) + " | total |")
        lines.append("|---|---|" + "---:|" * (len(shown) + 1))
        for load in args.loads:
            for t in transports:
                v = per_req.get((load, t))
                if v:
                    lines.append(f"| {LOADS[load][2]} | {t} | " + " | ".join(f"{v.get(k, 0):.3f}" for k in shown)
                                 + f" | {v['total']:.3f} |")
        lines.append("")
    else:
        lines.append(f"No system call counts: {perf_problem}.")
        lines.append("")
    errors = {k: m["errors"] for k, m in summary.items() if m["errors"]}
    if errors:
        lines.append("**Errors** (socket errors or non-2xx answers): " +
                     ", ".join(f"{LOADS[l][2]} {t}: {e}" for (l, t), e in errors.items()))
        lines.append("")

    def warm_slice(v):
        if isinstance(v, (list, tuple)):  # (req/s, loop µs/request, compilations)
            return f"{v[1]:.2f} µs ({'?' if v[2] is None else v[2]} JIT)"
        return fmt_rate(v)  # runs before the loop thread was measured: req/s
    lines.append("Warm-up (256-connection slices: loop thread CPU per request, JIT compilations in the slice): "
                 + "; ".join(f"{t} {' → '.join(warm_slice(v) for v in h)}{'' if ok else ' (not settled)'}"
                             for t, (h, ok) in warm.items()))
    jit = {k: m["jit"] for k, m in summary.items() if m["jit"] > 0}
    if jit:
        lines.append("")
        lines.append("JIT compilations during measured windows (most in one window): " + ", ".join(
            f"{LOADS[l][2]} {t}: {n}" for (l, t), n in jit.items()))
    lines.append("")
    worst_s = max((w["others_server_core_pct"] for w in windows), default=0)
    worst_c = max((w["others_client_core_pct"] for w in windows), default=0)
    worst_steal = max((w["steal_pct"] for w in windows), default=0)
    lines.append(f"Noise: other processes used at most {worst_s:.1f}% of the server core and {worst_c:.1f}% of "
                 f"the client core in any window (steal at most {worst_steal:.1f}%).")
    if noisy:
        lines.append("")
        lines.append(f"**Warning**: {len(noisy)} of {len(windows)} windows had more than "
                     f"{args.noise_threshold:g}% of a core used by other processes or stolen:")
        lines.append("")
        for w in noisy:
            lines.append(f"- round {w['round']} {LOADS[w['load']][2]} {w['transport']}: server core "
                         f"{w['others_server_core_pct']:.1f}%, client core {w['others_client_core_pct']:.1f}%, "
                         f"steal {w['steal_pct']:.1f}%")
    lines.append("")
    lines.append("![throughput and server CPU per request](chart.png)")
    lines.append("")
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(lines))

    chart = subprocess.run(["java", "-Djava.awt.headless=true", "-cp", args.benchmarks_jar,
                            "dev.userpoll.benchmarks.report.HttpBenchChart",
                            os.path.join(out, "summary.csv"), os.path.join(out, "chart.png"),
                            f"HTTP echo server, 1 core, Linux {machine['kernel']} ({started:%Y-%m-%d})"],
                           capture_output=True, text=True)
    print("\n".join(lines))
    if chart.returncode != 0:
        log(f"chart failed: {chart.stderr.strip()}")
        raise SystemExit(1)
    log(f"wrote {out}/table.md, windows.csv, syscalls.csv, summary.csv, chart.png")


if __name__ == "__main__":
    main()
