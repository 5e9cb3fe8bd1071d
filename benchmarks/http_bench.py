#!/usr/bin/env python3
"""HTTP load harness driver (run through benchmarks/http-bench.sh, which installs wrk and builds the jars).

Starts the example echo server once per transport, all pinned to one core (--server-cpu), and drives
them with wrk pinned to another (--client-cpu):

1. warm-up, per transport: one slice of every load, then 256-connection slices until two in a row agree
   within the tolerance (the JIT has settled);
2. measurement rounds, interleaved: for each round, for each load, every transport in turn (A B C A B C);
   each window records wrk's requests and latency percentiles, the server process's CPU time (from
   /proc/PID/task/*/schedstat) and what else ran on the two cores (/proc/stat minus our processes);
3. one system-call round: the same windows with `perf stat -e raw_syscalls:sys_enter,syscalls:sys_enter_*`
   attached to the server, kept apart because counting tracepoints slows every system call a little;
4. the report: medians over rounds with min and max, ratios to netty-epoll, noise warnings
   (table.md, windows.csv, syscalls.csv, summary.csv) and chart.png (drawn by the benchmarks jar).
"""
import argparse
import hashlib
import json
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
    # name: (connections, pipeline depth, label)
    "c16": (16, 1, "16 conns"),
    "c256": (256, 1, "256 conns"),
    "c256-p16": (256, 16, "256 conns pipelined 16"),
}
DEFAULT_TRANSPORTS = ("userpoll:io_uring@userpoll.ioSubmitter=batched,userpoll:io_uring@userpoll.ioSubmitter=direct,"
                      "userpoll:epoll@userpoll.ioSubmitter=batched,userpoll:epoll@userpoll.ioSubmitter=direct,"
                      "netty-epoll,netty-io_uring,nio")
BASELINE = "netty-epoll"
# Settings a report needs; kept in raw.json so that --report-only can rebuild the report.
REPORT_SETTINGS = ["rounds", "window", "syscall_window", "loads", "server_cpu", "client_cpu", "server_jvm_opts",
                   "noise_threshold", "command", "jars"]
# System calls counted by name; everything else is "other" (raw_syscalls:sys_enter minus these).
SYSCALLS = [
    "read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "io_uring_enter",
    "futex", "accept", "accept4", "close", "shutdown", "setsockopt", "getsockopt",
    "sched_yield", "nanosleep", "clock_nanosleep", "mmap", "munmap", "mprotect", "madvise",
]
USER_HZ = os.sysconf("SC_CLK_TCK")
WRK_SCRIPT = r"""
-- Written by http_bench.py. Optional pipelining (args[1] = depth) as TechEmpower's pipeline.lua;
-- done() prints one line the driver parses.
local depth = 1
init = function(args)
  depth = tonumber(args[1]) or 1
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


def parse_arm(entry, jar_names=()):
    """[BUILD:]TRANSPORT[@PROPERTY=VALUE]...: (label, transport, extra JVM options, build or None).

    BUILD is a name given with --jar BUILD=PATH (the server runs from that jar instead of --examples-jar) and
    stays in the label; the label appends +VALUE per property: before:userpoll:io_uring@userpoll.ioSubmitter=batched
    is labelled before:userpoll:io_uring+batched."""
    parts = entry.split("@")
    build, transport = None, parts[0]
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
        cmd = ["taskset", "-c", str(args.server_cpu), "java"] + args.server_jvm_opts.split() + extra + [
            "-jar", self.jar, "http-echo-server", "--port", "0", "--threads", "1",
            "--transport", self.transport]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.url = None
        self.line = None

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
    conns, depth, _ = LOADS[load]
    cmd = ["taskset", "-c", str(args.client_cpu), "wrk", "-t1", f"-c{conns}", f"-d{seconds}s",
           "--timeout", "5s", "-s", args.wrk_script, url, "--", str(depth)]
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
    """One measured window; with perf_events, also the server's system calls."""
    pid = server.proc.pid
    perf = None
    perf_out = None
    if perf_events:
        perf_out = os.path.join(args.logdir, "perf-stat.csv")
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", perf_out, "-p", str(pid),
                                 "-e", ",".join(perf_events)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # let perf attach to every thread before the load starts
    s_busy0, s_steal0 = read_cpu(args.server_cpu)
    c_busy0, c_steal0 = read_cpu(args.client_cpu)
    cpu0 = process_cpu_ns(pid)
    t0 = time.monotonic()
    result, wrk_cpu = run_wrk(args, server.url, load, seconds)
    elapsed = time.monotonic() - t0
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
        "server_core_busy_pct": 100 * (s_busy1 - s_busy0) * tick / elapsed,
        # Others on a core: its busy time minus our process's CPU time there (wrk for the client core).
        "others_server_core_pct": 100 * max(0.0, (s_busy1 - s_busy0) * tick - server_cpu_s) / elapsed,
        "others_client_core_pct": 100 * max(0.0, (c_busy1 - c_busy0) * tick - wrk_cpu) / elapsed,
        "steal_pct": 100 * max(s_steal1 - s_steal0, c_steal1 - c_steal0) * tick / elapsed,
    })
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
    """One slice of every load, then 256-connection slices until two in a row agree within the tolerance."""
    for load in args.loads:
        r, _ = run_wrk(args, server.url, load, args.warm_slice)
        log(f"  warm {server.label} {load}: {r['rps']:.0f} req/s")
    prev = None
    history = []
    for i in range(args.warm_max_slices):
        r, _ = run_wrk(args, server.url, "c256", args.warm_slice)
        history.append(r["rps"])
        log(f"  warm {server.label} c256 slice {i + 1}: {r['rps']:.0f} req/s")
        if prev is not None and i + 1 >= args.warm_min_slices and \
                abs(r["rps"] - prev) <= args.warm_tolerance * max(r["rps"], prev):
            return history, True
        prev = r["rps"]
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
    p.add_argument("--warm-max-slices", type=int, help="maximum 256-connection warm-up slices (default 8; quick 3)")
    p.add_argument("--warm-tolerance", type=float, default=0.03, help="warm-up stability, relative (0.03)")
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
    args.warm_max_slices = args.warm_max_slices or (3 if q else 8)
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
                        f"{row['cpu_us_per_req']:6.2f} us/req p99 {row['p99_us'] / 1000:6.2f} ms "
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
    machine["load_after"] = loadavg()
    finished = datetime.datetime.now(datetime.timezone.utc)
    labels = [s.label for s in servers]
    with open(os.path.join(args.out, "raw.json"), "w") as f:
        json.dump({"settings": {k: getattr(args, k) for k in REPORT_SETTINGS}, "machine": machine,
                   "started": started.isoformat(), "finished": finished.isoformat(), "labels": labels,
                   "warm": warm, "windows": windows, "sys_rows": sys_rows, "perf_problem": perf_problem}, f, indent=1)
    report(args, machine, started, finished, labels, warm, windows, sys_rows, perf_problem)


def report_only(args):
    """Rebuilds table.md, the CSVs and chart.png from a finished run's raw.json."""
    with open(os.path.join(args.out, "raw.json")) as f:
        raw = json.load(f)
    args.jars = {}  # runs from before --jar recorded none
    for k, v in raw["settings"].items():
        setattr(args, k, v)
    report(args, raw["machine"], datetime.datetime.fromisoformat(raw["started"]),
           datetime.datetime.fromisoformat(raw["finished"]), raw["labels"],
           {k: tuple(v) for k, v in raw["warm"].items()}, raw["windows"], raw["sys_rows"], raw["perf_problem"])


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


def report(args, machine, started, finished, labels, warm, windows, sys_rows, perf_problem):
    out = args.out
    transports = labels
    # Raw windows.
    cols = ["round", "load", "transport", "requests", "duration_us", "rps", "p50_us", "p90_us", "p99_us", "max_us",
            "errors", "non2xx", "server_cpu_s", "cpu_us_per_req", "server_core_busy_pct",
            "others_server_core_pct", "others_client_core_pct", "steal_pct", "elapsed_s"]
    with open(os.path.join(out, "windows.csv"), "w") as f:
        f.write(",".join(cols) + "\n")
        for w in windows:
            f.write(",".join(f"{w[c]:.4f}" if isinstance(w[c], float) else str(w[c]) for c in cols) + "\n")
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

    # Summary: medians over rounds.
    summary = {}
    for load in args.loads:
        for t in transports:
            ws = [w for w in windows if w["load"] == load and w["transport"] == t]
            if not ws:
                continue
            summary[(load, t)] = {
                "rps": median_min_max([w["rps"] for w in ws]),
                "cpu_us_per_req": median_min_max([w["cpu_us_per_req"] for w in ws]),
                # wrk sometimes reports 0 for pipelined runs (its latency is per batch, and its
                # coordinated-omission correction assumes one request per connection): left out.
                "p50_us": median_min_max([w["p50_us"] or None for w in ws]),
                "p99_us": median_min_max([w["p99_us"] or None for w in ws]),
                "errors": sum(w["errors"] + w["non2xx"] for w in ws),
            }
    with open(os.path.join(out, "summary.csv"), "w") as f:
        f.write("load,transport,metric,median,min,max\n")
        for (load, t), m in summary.items():
            for metric in ("rps", "cpu_us_per_req", "p50_us", "p99_us"):
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
    lines = []
    lines.append(f"## HTTP echo server: {', '.join(transports)}")
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
    lines.append("Medians over rounds (min–max). CPU is the server process's CPU time (all threads) per "
                 "request; system calls are every system call the server process made, per request. Latency is "
                 "wrk's (with its coordinated-omission correction); pipelined, it is per batch of 16, and windows "
                 "where wrk reported 0 are left out.")
    lines.append("")
    lines.append("| load | transport | requests/s | server CPU µs/request | system calls/request | p50 ms | p99 ms |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for (load, t), m in summary.items():
        sc = per_req.get((load, t))
        sc_total = f"{sc['total']:.2f}" if sc else "n/a"
        lines.append(f"| {LOADS[load][2]} | {t} | {fmt_mmm(m['rps'], fmt_rate)} | "
                     f"{fmt_mmm(m['cpu_us_per_req'], lambda v: f'{v:.2f}')} | "
                     f"{sc_total} | "
                     f"{fmt_mmm(m['p50_us'], lambda v: f'{v / 1000:.2f}')} | "
                     f"{fmt_mmm(m['p99_us'], lambda v: f'{v / 1000:.2f}')} |")
    lines.append("")
    if BASELINE in transports:
        lines.append(f"Ratio to {BASELINE} (medians; below 1 is better for CPU, system calls and p99, "
                     f"above 1 is better for requests/s):")
        lines.append("")
        lines.append("| load | transport | requests/s | server CPU/request | system calls/request | p99 |")
        lines.append("|---|---|---:|---:|---:|---:|")
        for (load, t), m in summary.items():
            b = summary.get((load, BASELINE))
            if not b or t == BASELINE:
                continue
            sc, sb = per_req.get((load, t)), per_req.get((load, BASELINE))
            sratio = f"{sc['total'] / sb['total']:.2f}" if sc and sb and sb["total"] else "n/a"
            p99ratio = f"{m['p99_us'][0] / b['p99_us'][0]:.2f}" if m["p99_us"] and b["p99_us"] else "n/a"
            lines.append(f"| {LOADS[load][2]} | {t} | {m['rps'][0] / b['rps'][0]:.3f} | "
                         f"{m['cpu_us_per_req'][0] / b['cpu_us_per_req'][0]:.3f} | {sratio} | {p99ratio} |")
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
    lines.append("Warm-up (256-connection slices, req/s): " + "; ".join(
        f"{t} {' → '.join(fmt_rate(v) for v in h)}{'' if ok else ' (not settled)'}" for t, (h, ok) in warm.items()))
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
