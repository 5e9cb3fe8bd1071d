#!/usr/bin/env python3
"""Memory per idle connection of the example HTTP server on one transport: live heap after a full GC (jcmd GC.run,
GC.heap_info) and RSS, before and after opening COUNT idle connections, with the JVM's native memory tracking
(summary diff) beside them, so that memory the JIT compiler takes while the connections arrive (its arenas) is not
read as memory per connection. A warm-up set of WARM connections is opened and closed first, SETTLE seconds before
the baseline (the JVM frees compiler arenas every 5 s).

  python3 idle-memory.py LABEL TRANSPORT 'JVM PROPERTY OR ""' EXAMPLES_JAR [COUNT [WARM [SETTLE]]]
  e.g. python3 idle-memory.py ub userpoll:io_uring -Duserpoll.ioSubmitter=batched examples/target/userpoll-examples.jar
"""
import os
import re
import resource
import socket
import subprocess
import sys
import time

label, transport, prop, jar = sys.argv[1:5]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 9744
warm = int(sys.argv[6]) if len(sys.argv) > 6 else 300
settle = float(sys.argv[7]) if len(sys.argv) > 7 else 1.0
resource.setrlimit(resource.RLIMIT_NOFILE, (count + 4096, max(count + 4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))
log_path = f"/tmp/idle-memory-{label}.log"
cmd = ["taskset", "-c", "0", "java", "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch",
       "-Dio.netty.leakDetection.level=disabled", "-XX:NativeMemoryTracking=summary"] + ([prop] if prop else []) + [
       "-jar", jar, "http-echo-server", "--port", "0", "--threads", "1", "--transport", transport]
with open(log_path, "w") as log:
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
try:
    for _ in range(300):
        m = re.search(r"listening on http://([\d.]+):(\d+)/", open(log_path).read())
        if m:
            break
        time.sleep(0.1)
    else:
        raise SystemExit(f"server did not start: {open(log_path).read()[-800:]}")
    port = int(m.group(2))

    def rss():
        with open(f"/proc/{server.pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS"))

    def live_heap():
        subprocess.run(["jcmd", str(server.pid), "GC.run"], capture_output=True)
        out = subprocess.run(["jcmd", str(server.pid), "GC.heap_info"], capture_output=True, text=True).stdout
        return sum(int(x) for x in re.findall(r"(?:generation|heap)\s+total \d+K, used (\d+)K", out)) * 1024

    warm_set = [socket.create_connection(("127.0.0.1", port)) for _ in range(warm)]
    time.sleep(1)
    for s in warm_set:
        s.close()
    time.sleep(settle)
    subprocess.run(["jcmd", str(server.pid), "VM.native_memory", "baseline"], capture_output=True)
    heap0, rss0 = live_heap(), rss()
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    time.sleep(3)
    rss1 = rss()
    heap1 = live_heap()
    diff = subprocess.run(["jcmd", str(server.pid), "VM.native_memory", "summary.diff"], capture_output=True,
                          text=True).stdout
    print(f"{label}: {count} idle connections: live heap {(heap1 - heap0) / count:.0f} B/connection, "
          f"RSS {(rss1 - rss0) / count:.0f} B/connection")
    for line in diff.splitlines():
        if line.startswith("Total") or re.search(r"^-\s+\S.*committed=\d+KB [+-]\d+KB", line):
            print("   ", line.strip())
    for s in conns:
        s.close()
finally:
    server.terminate()
    server.wait()
