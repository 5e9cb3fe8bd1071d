#!/usr/bin/env python3
"""UDP echo benchmark driver (run through benchmarks/udp-bench.sh, which builds the examples jar).

For each arm (a transport choice, optionally with system properties: `userpoll:io_uring@userpoll.ioSubmitter=batched`)
the example `udp-echo-server` runs pinned to one core (--server-cpu) and `udp-echo-client` on another
(--client-cpu; the client's transport is the same for every arm, --client-transport, so that only the server
changes). Rounds are interleaved (A B C A B C ...), each on a fresh server: a warm-up exchange, then a measured
one. A window records the datagrams echoed and the client's rate, the CPU time of the server's event-loop thread
(`udp-echo-loop`, from /proc/PID/task/TID/schedstat, nanoseconds) and of the whole server process (JIT and GC
included), and what else ran on the two cores (/proc/stat minus server and client): a window where others used
more than --noise percent of a core is flagged. The report gives medians over rounds with min and max, and
ratios to the baseline arm (netty-epoll, whose datagram channel reads with recvmmsg).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

DEFAULT_ARMS = ("userpoll:io_uring@userpoll.ioSubmitter=direct,userpoll:io_uring@userpoll.ioSubmitter=batched,"
                "userpoll:epoll@userpoll.ioSubmitter=direct,netty-epoll,netty-io_uring")
BASELINE = "netty-epoll"
LOOP_THREAD = "udp-echo-loop"
USER_HZ = os.sysconf("SC_CLK_TCK")
CLIENT_LINE = re.compile(r"udp-echo-client sent=(\d+) received=(\d+) lost=(\d+) .* mismatches=(\d+) .*"
                         r"seconds=([\d.]+) rate=(\d+)/s")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_arm(entry):
    """'T@k=v@k2=v2' -> (label, transport, {k: v}); the label shortens userpoll.ioSubmitter to +direct/+batched."""
    parts = entry.split("@")
    props = dict(p.split("=", 1) for p in parts[1:])
    label = parts[0]
    sub = props.get("userpoll.ioSubmitter")
    if sub:
        label += "+" + sub
    others = [f"{k}={v}" for k, v in props.items() if k != "userpoll.ioSubmitter"]
    if others:
        label += "@" + "@".join(others)
    return label, parts[0], props


def core_busy_ticks(cpus):
    """Busy ticks (everything but idle and iowait) summed over the given cores, from /proc/stat."""
    total = 0
    with open("/proc/stat") as f:
        for line in f:
            name = line.split(" ", 1)[0]
            if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
                v = [int(x) for x in line.split()[1:]]
                total += sum(v) - v[3] - v[4]
    return total


def task_ns(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])


def process_ns(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            total += task_ns(pid, tid)
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended between listdir and read
    return total


def find_thread(pid, name):
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip().startswith(name[:15]):
                    return tid
        except FileNotFoundError:
            pass
    return None


class Server:
    def __init__(self, args, transport, props):
        cmd = ["taskset", "-c", str(args.server_cpu), args.java] + args.server_jvm_opts.split()
        cmd += [f"-D{k}={v}" for k, v in props.items()]
        cmd += ["-jar", args.jar, "udp-echo-server", "--port", "0", "--transport", transport]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"udp-echo-server bound to [\d.]+:(\d+) transport=(\S+)", line)
            if m:
                self.port, self.chosen = int(m.group(1)), m.group(2)
                break
        if self.port is None:
            self.stop()
            raise RuntimeError(f"server {transport} did not start: {' '.join(cmd)}")
        if self.chosen != transport:
            self.stop()
            raise RuntimeError(f"asked for {transport}, the server chose {self.chosen}")
        self.loop_tid = None
        for _ in range(50):
            self.loop_tid = find_thread(self.proc.pid, LOOP_THREAD)
            if self.loop_tid:
                break
            time.sleep(0.1)
        if not self.loop_tid:
            self.stop()
            raise RuntimeError(f"no {LOOP_THREAD} thread in the {transport} server")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_client(args, port, datagrams):
    cmd = ["taskset", "-c", str(args.client_cpu), args.java] + args.client_jvm_opts.split() + [
        "-jar", args.jar, "udp-echo-client", "--port", str(port), "--transport", args.client_transport,
        "--datagrams", str(datagrams), "--size", str(args.size), "--window", str(args.window),
        "--max-loss", "100"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    # wait4 gives the client's own CPU time (its JVM start included), which the noise account subtracts.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    m = CLIENT_LINE.search(stdout)
    if not m:
        raise RuntimeError(f"client failed ({proc.returncode}): {stdout}{stderr}")
    sent, received, lost, mismatches, seconds, rate = m.groups()
    if int(mismatches):
        raise RuntimeError(f"client saw {mismatches} mismatched datagrams: {stdout}")
    return int(received), int(lost), float(seconds), int(rate), usage.ru_utime + usage.ru_stime, stdout.strip()


def window(args, label, transport, props):
    server = Server(args, transport, props)
    try:
        run_client(args, server.port, args.warmup)
        cores = {args.server_cpu, args.client_cpu}
        busy0, loop0, proc0, t0 = core_busy_ticks(cores), task_ns(server.proc.pid, server.loop_tid), \
            process_ns(server.proc.pid), time.time()
        received, lost, seconds, rate, client_s, line = run_client(args, server.port, args.datagrams)
        busy1, loop1, proc1, t1 = core_busy_ticks(cores), task_ns(server.proc.pid, server.loop_tid), \
            process_ns(server.proc.pid), time.time()
    finally:
        server.stop()
    # Others' CPU on the two cores: all busy time minus the server's and the client's.
    wall = t1 - t0
    busy_s = (busy1 - busy0) / USER_HZ
    server_s = (proc1 - proc0) / 1e9
    others_pct = max(0.0, (busy_s - server_s - client_s) / wall * 100) if wall > 0 else 0.0
    return {
        "arm": label, "received": received, "lost": lost, "rate": rate,
        "loop_us": (loop1 - loop0) / 1e3 / max(1, received),
        "proc_us": (proc1 - proc0) / 1e3 / max(1, received),
        "others_pct": others_pct, "client": line,
    }


def mmm(values):
    return statistics.median(values), min(values), max(values)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jar", required=True, help="examples/target/userpoll-examples.jar")
    p.add_argument("--java", default=os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "java"))
    p.add_argument("--arms", default=DEFAULT_ARMS, help="comma-separated transports, each optionally @prop=value")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--datagrams", type=int, default=500_000, help="measured per window")
    p.add_argument("--warmup", type=int, default=300_000, help="datagrams before each measured window")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--window", type=int, default=128, help="unanswered datagrams the client allows")
    p.add_argument("--client-transport", default="netty-epoll")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--noise", type=float, default=5.0, help="flag windows where others used more (%% of a core)")
    p.add_argument("--server-jvm-opts", default="-Xms512m -Xmx512m -XX:+AlwaysPreTouch "
                                                "-Dio.netty.leakDetection.level=disabled")
    p.add_argument("--client-jvm-opts", default="-Xms512m -Xmx512m -Dio.netty.leakDetection.level=disabled")
    p.add_argument("--out", help="also write the markdown table here")
    args = p.parse_args()

    arms = [parse_arm(a) for a in args.arms.split(",") if a]
    labels = [a[0] for a in arms]
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    rows = []
    for r in range(args.rounds):
        for label, transport, props in arms:
            w = window(args, label, transport, props)
            w["round"] = r + 1
            rows.append(w)
            log(f"round {r + 1} {label}: {w['rate']}/s, loop {w['loop_us']:.2f} us/datagram, "
                f"process {w['proc_us']:.2f}, lost {w['lost']}, others {w['others_pct']:.1f}%")
    finished = time.strftime("%H:%M:%S %Z")

    by_arm = {l: [w for w in rows if w["arm"] == l] for l in labels}
    base = by_arm.get(BASELINE)
    base_loop = statistics.median(w["loop_us"] for w in base) if base else None
    noisy = sum(1 for w in rows if w["others_pct"] > args.noise)
    out = [f"UDP echo, {args.size}-byte datagrams, window {args.window}, {args.datagrams} datagrams per window, "
           f"{args.rounds} interleaved rounds ({started} to {finished}); server on core {args.server_cpu}, "
           f"client ({args.client_transport}) on core {args.client_cpu}; medians (min-max).",
           "",
           "| arm | datagrams/s | loop-thread CPU µs/datagram | ratio to netty-epoll | process CPU µs/datagram | lost |",
           "|---|---:|---:|---:|---:|---:|"]
    for l in labels:
        ws = by_arm[l]
        rate, loop, proc = mmm([w["rate"] for w in ws]), mmm([w["loop_us"] for w in ws]), \
            mmm([w["proc_us"] for w in ws])
        ratio = f"{loop[0] / base_loop:.2f}" if base_loop else "n/a"
        out.append(f"| {l} | {rate[0]:,.0f} ({rate[1]:,.0f}-{rate[2]:,.0f}) | {loop[0]:.2f} ({loop[1]:.2f}-{loop[2]:.2f}) "
                   f"| {ratio} | {proc[0]:.2f} ({proc[1]:.2f}-{proc[2]:.2f}) | {sum(w['lost'] for w in ws)} |")
    out.append("")
    out.append(f"Noise: {noisy} of {len(rows)} windows had others above {args.noise}% of a core "
               f"(max {max(w['others_pct'] for w in rows):.1f}%); load average at the end "
               f"{open('/proc/loadavg').read().split()[0]}.")
    text = "\n".join(out)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
