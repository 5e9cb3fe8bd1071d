#!/usr/bin/env bash
# Boots Debian's linux-source-6.12 with our EPOLL_USERPOLL patch (epoll-userpoll.patch) under QEMU
# (TCG, no KVM needed) and runs, inside the guest:
#   (a) userpoll-abi-check: the raw ABI, from C (one entry per item, RLIMIT_MEMLOCK charge included);
#   (b) the ring-source tests of transport-userpoll on the real ABI (UserpollRingKernelTest: the ring contract);
#   (c) the whole-transport echo test (UserpollEchoTest) on every ring source, the real userpoll included;
#   (d) the channel, event-loop, batched-I/O and statistics tests on every ring source;
#   (e) a part of Netty's socket test suite on userpoll:userpoll with both submitters (echo, half-closed, RST,
#       auto-read, read-pending, file region, gathering write, SSL echo);
#   (f) the examples' HTTP echo server on userpoll (direct and batched), io_uring (batched) and epoll (direct),
#       its client checking every byte, and the server loop's kernel entries per request on each.
# Then prints a pass/fail summary and exits non-zero on any failure.
#
# Everything built is cached in $USERPOLL_KERNEL_CACHE (default ~/.cache/userpoll-kernel): a second run
# rebuilds only what changed. Needs root or sudo for apt-get when packages are missing.
# Environment: USERPOLL_KERNEL_CACHE, USERPOLL_QEMU_TIMEOUT (seconds, default 1800),
#   USERPOLL_QEMU_SMP (default 2), USERPOLL_QEMU_MEMORY (MiB, default 3072),
#   USERPOLL_GUEST_RING_TESTS / _ECHO_TESTS / _CHANNEL_TESTS / _SUITE_TESTS (JUnit console launcher selectors for
#   (b), (c), (d), (e), e.g. "--select-class dev.userpoll.transport.UserpollEchoTest"),
#   USERPOLL_GUEST_SUITE_SOURCES (default userpoll,userpoll+batched), USERPOLL_GUEST_HTTP_ARMS (transport/submitter
#   pairs; "-" skips a phase), USERPOLL_GUEST_HTTP_REQUESTS (default 4000).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${USERPOLL_KERNEL_CACHE:-$HOME/.cache/userpoll-kernel}
SRC=$CACHE/linux-source-6.12
SYSCALL_NR=463 # epoll_create2 in epoll-userpoll.patch (first free x86_64 number in 6.12)
JUNIT_CONSOLE=org.junit.platform:junit-platform-console-standalone:1.14.1
QEMU_TIMEOUT=${USERPOLL_QEMU_TIMEOUT:-1800}
SMP=${USERPOLL_QEMU_SMP:-2}
MEMORY=${USERPOLL_QEMU_MEMORY:-3072} # MiB of guest RAM: the initramfs (JDK, jars) lives in it
PACKAGES=(qemu-system-x86 linux-source-6.12 build-essential bc flex bison libelf-dev libssl-dev cpio xz-utils
  busybox-static strace)
RUN=$CACHE/run
LOG=$CACHE/guest-console.log

step() { printf '\n== %s\n' "$*"; }
now() { date +%s; }
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

mkdir -p "$CACHE"

# ---- 1. packages
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
for tool in java jlink mvn gcc; do
  command -v $tool >/dev/null || { echo "run-qemu.sh: $tool is required (a JDK 17+, Maven, gcc)" >&2; exit 2; }
done

# ---- 2. kernel source, patch, config
if [ ! -f "$SRC/Makefile" ]; then
  step "unpacking /usr/src/linux-source-6.12.tar.xz into $CACHE"
  tar xf /usr/src/linux-source-6.12.tar.xz -C "$CACHE"
fi
if ! cmp -s "$HERE/epoll-userpoll.patch" "$SRC/.userpoll-applied.patch" 2>/dev/null; then
  if [ -f "$SRC/.userpoll-applied.patch" ]; then
    step "reverting the previously applied patch"
    patch -d "$SRC" -p1 -R -s < "$SRC/.userpoll-applied.patch"
  fi
  step "applying epoll-userpoll.patch"
  patch -d "$SRC" -p1 --forward -s < "$HERE/epoll-userpoll.patch"
  cp "$HERE/epoll-userpoll.patch" "$SRC/.userpoll-applied.patch"
fi
if ! cmp -s "$HERE/qemu-guest.config" "$SRC/.userpoll-guest.config" 2>/dev/null || [ ! -f "$SRC/.config" ]; then
  step "configuring: tinyconfig + qemu-guest.config"
  (cd "$SRC" && make -s tinyconfig >/dev/null && scripts/kconfig/merge_config.sh -m .config "$HERE/qemu-guest.config" >/dev/null &&
    make -s olddefconfig)
  while read -r line; do
    case "$line" in CONFIG_*) grep -qx "$line" "$SRC/.config" || { echo "config lost $line" >&2; exit 2; } ;; esac
  done < "$HERE/qemu-guest.config"
  cp "$HERE/qemu-guest.config" "$SRC/.userpoll-guest.config"
fi

# ---- 3. kernel
step "building bzImage (nice -n 10, log: $CACHE/kernel-build.log)"
t0=$(now)
(cd "$SRC" && nice -n 10 make -j"$(nproc)" bzImage > "$CACHE/kernel-build.log" 2>&1) ||
  { tail -40 "$CACHE/kernel-build.log"; echo "kernel build failed" >&2; exit 1; }
KERNEL_BUILD_S=$(( $(now) - t0 ))
KERNEL_RELEASE=$(cat "$SRC/include/config/kernel.release")
echo "kernel $KERNEL_RELEASE built in ${KERNEL_BUILD_S}s"

# ---- 4. Java side: the project's jars, their dependencies, the JUnit console launcher
step "building the project jars (mvn package) and collecting the test classpath"
t0=$(now)
(cd "$REPO" && mvn -B -ntp -q -DskipTests package dependency:copy-dependencies -pl transport-userpoll,examples -am \
  -DincludeScope=test -DexcludeGroupIds=dev.userpoll,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
  -DoutputDirectory="$CACHE/deps")
if ! ls "$CACHE"/junit/junit-platform-console-standalone-*.jar >/dev/null 2>&1; then
  (cd "$REPO" && mvn -B -ntp -q dependency:copy -Dartifact=$JUNIT_CONSOLE -DoutputDirectory="$CACHE/junit")
fi
JAVA_BUILD_S=$(( $(now) - t0 ))

rm -rf "$RUN" && mkdir -p "$RUN"/{bin,app/lib,proc,sys,dev,tmp,lib64,etc}
cp "$CACHE"/deps/*.jar "$RUN/app/lib/"
for jar in "$REPO"/transport-userpoll/target/transport-userpoll-*.jar; do # the classes and the test classes
  case "$jar" in *-sources.jar | *-javadoc.jar) ;; *) cp "$jar" "$RUN/app/lib/" ;; esac
done
cp "$REPO"/transport-userpoll-native/target/transport-userpoll-native-*-linux-x86_64.jar "$RUN/app/lib/" # the guest's
cp "$CACHE"/junit/junit-platform-console-standalone-*.jar "$RUN/app/junit-console.jar"
cp "$REPO"/examples/target/userpoll-examples.jar "$RUN/app/"
gcc -O2 -Wall -static -pthread -o "$RUN/app/userpoll-abi-check" "$HERE/userpoll-abi-check.c"

# ---- 5. the guest image: jlink'd JDK, busybox, glibc, /init
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
if [ ! -x "$CACHE/jre/bin/java" ]; then
  step "jlink: a small Java runtime for the guest"
  jlink --add-modules java.base,java.logging,java.management,java.net.http,java.xml,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$CACHE/jre"
fi
cp -a "$CACHE/jre" "$RUN/jre"
cp /bin/busybox "$RUN/bin/busybox"
cp "$(command -v strace)" "$RUN/bin/strace" # counts the server loop thread's system calls in (f)
# glibc and friends, at the paths the dynamic linker looks at
native_so=$(mktemp -d)
(cd "$native_so" && jar xf "$(ls "$RUN"/app/lib/transport-userpoll-native-*-linux-x86_64.jar)")
for bin in "$RUN/bin/strace" "$RUN/jre/bin/java" "$RUN"/jre/lib/*.so "$RUN"/jre/lib/server/*.so $(find "$native_so" -name '*.so'); do
  ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
  mkdir -p "$RUN$(dirname "$lib")"
  cp -L "$lib" "$RUN$lib"
done
rm -rf "$native_so"
cp -L /lib64/ld-linux-x86-64.so.2 "$RUN/lib64/"
echo "root:x:0:0:root:/tmp:/bin/sh" > "$RUN/etc/passwd"
echo "127.0.0.1 localhost" > "$RUN/etc/hosts"
printf '::1 localhost ip6-localhost\n' >> "$RUN/etc/hosts"

# (b): the ring source contract on the real kernel, and detection; (c): the echo test on every source.
# The consumer's own tests (emulated producers) run on any host; the guest runs ~10x slower.
RING_TESTS=${USERPOLL_GUEST_RING_TESTS:-"--select-class dev.userpoll.transport.ring.UserpollRingKernelTest
 --select-class dev.userpoll.transport.ring.UserpollRingDetectionTest"}
ECHO_TESTS=${USERPOLL_GUEST_ECHO_TESTS:-"--select-class dev.userpoll.transport.UserpollEchoTest"}
# (d): the channel, event-loop, batched-I/O and statistics tests, each on every ring source (the real userpoll
# included): parking with queued sends (UserpollBatchedIoTest), a full item table (ENOSPC), half-closed resets.
CHANNEL_TESTS=${USERPOLL_GUEST_CHANNEL_TESTS:-"--select-class dev.userpoll.transport.UserpollChannelBehaviourTest
 --select-class dev.userpoll.transport.UserpollResourceTest --select-class dev.userpoll.transport.UserpollIoHandlerTest
 --select-class dev.userpoll.transport.UserpollBatchedIoTest --select-class dev.userpoll.transport.UserpollLoopStatisticsTest
 --select-class dev.userpoll.transport.UserpollItemTableFullTest --select-class dev.userpoll.transport.UserpollHalfClosedResetTest
 --select-class dev.userpoll.transport.testsuite.UserpollEventLoopTest"}
# (e): Netty's socket test suite, on the real userpoll source only, with both submitters.
SUITE_SOURCES=${USERPOLL_GUEST_SUITE_SOURCES:-userpoll,userpoll+batched}
SUITE_TESTS=${USERPOLL_GUEST_SUITE_TESTS:-"--select-class dev.userpoll.transport.testsuite.UserpollSocketEchoTest
 --select-class dev.userpoll.transport.testsuite.UserpollSocketHalfClosedTest
 --select-class dev.userpoll.transport.testsuite.UserpollSocketRstTest
 --select-class dev.userpoll.transport.testsuite.UserpollSocketAutoReadTest
 --select-class dev.userpoll.transport.testsuite.UserpollSocketReadPendingTest
 --select-class dev.userpoll.transport.testsuite.UserpollSocketFileRegionTest
 --select-class dev.userpoll.transport.testsuite.UserpollSocketGatheringWriteTest
 --select-class dev.userpoll.transport.testsuite.UserpollSocketSslEchoTest"}
# (f): the HTTP echo server on these transport choices and submitters (transport/submitter[/park window in us,
# default 50; 0 submits queued sends before parking]); the client checks every byte.
HTTP_ARMS=${USERPOLL_GUEST_HTTP_ARMS:-"userpoll:userpoll/direct userpoll:userpoll/batched userpoll:io_uring/batched userpoll:epoll/direct"}
HTTP_REQUESTS=${USERPOLL_GUEST_HTTP_REQUESTS:-4000}
cat > "$RUN/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/jre/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
ifconfig lo 127.0.0.1 up
ulimit -n 65536
cd /tmp
echo "GUEST-MARK BOOTED uptime=\$(cut -d' ' -f1 /proc/uptime) kernel=\$(uname -r) cpus=\$(nproc)"
CP=\$(ls /app/lib/*.jar | tr '\n' ':')
# Heap and direct memory both bounded: the guest's RAM holds the initramfs too, and Netty's gathering-write tests
# allocate large direct buffers (unbounded, direct memory defaults to -Xmx and the guest ran out of memory).
JAVA_OPTS="-XX:TieredStopAtLevel=1 -Xss1m -Xmx768m -XX:MaxDirectMemorySize=512m -XX:ErrorFile=/tmp/hs_err_pid%p.log -Djava.io.tmpdir=/tmp
 -Duserpoll.epollCreate2.syscall=$SYSCALL_NR -Duserpoll.epollCreate2.protocol=v3 -Dio.netty.leakDetection.level=paranoid"
junit() { # junit MARK [jvm options...] -- selectors... ("-" as the only selector: the phase is skipped)
  mark=\$1; shift
  opts=""
  while [ "\$1" != "--" ]; do opts="\$opts \$1"; shift; done
  shift
  if [ "\$*" = "-" ]; then echo "GUEST-MARK \$mark-END rc=skipped"; return; fi
  echo "GUEST-MARK \$mark-START uptime=\$(cut -d' ' -f1 /proc/uptime)"
  java \$JAVA_OPTS \$opts -jar /app/junit-console.jar execute --disable-banner --disable-ansi-colors --details=tree \\
    --class-path "\$CP" "\$@"
  echo "GUEST-MARK \$mark-END rc=\$? uptime=\$(cut -d' ' -f1 /proc/uptime)"
}

echo "GUEST-MARK ABI-START uptime=\$(cut -d' ' -f1 /proc/uptime)"
/app/userpoll-abi-check $SYSCALL_NR
echo "GUEST-MARK ABI-END rc=\$? uptime=\$(cut -d' ' -f1 /proc/uptime)"

junit RING -- $(echo $RING_TESTS)
junit ECHO -- $(echo $ECHO_TESTS)
junit CHANNELS -- $(echo $CHANNEL_TESTS)
# Netty's @Timeout values are sized for real CPUs: TCG runs 10-20x slower, so the guest's own timeout bounds a hang.
junit SUITE -Duserpoll.testsuite.sources=$SUITE_SOURCES -Djunit.jupiter.execution.timeout.mode=disabled \
  -- $(echo $SUITE_TESTS)

echo "GUEST-MARK HTTP-START uptime=\$(cut -d' ' -f1 /proc/uptime)"
http_rc=0
[ "$HTTP_ARMS" != "-" ] || http_rc=skipped # "-": the phase is skipped, as for the JUnit phases
for arm in $(echo "$HTTP_ARMS" | sed 's/^-$//'); do
  transport=\${arm%%/*}; rest=\${arm#*/}; submitter=\${rest%%/*}; window=50
  [ "\$rest" = "\$submitter" ] || window=\${rest#*/}
  java \$JAVA_OPTS -Duserpoll.ioSubmitter=\$submitter -Duserpoll.batch.parkWindowMicros=\$window -jar /app/userpoll-examples.jar http-echo-server --port 8080 \\
    --threads 1 --transport \$transport > /tmp/http-server.log 2>&1 &
  server=\$!
  for i in \$(seq 1 120); do grep -q listening /tmp/http-server.log && break; sleep 0.5; done
  grep listening /tmp/http-server.log
  # A warm-up, then the measured run with strace counting the server loop thread's system calls.
  java \$JAVA_OPTS -jar /app/userpoll-examples.jar http-echo-client --port 8080 --connections 8 \\
    --requests 1000 --size 512 --transport nio > /dev/null 2>&1
  loop=""
  for t in /proc/\$server/task/*; do case "\$(cat \$t/comm)" in http-loop*) loop=\${t##*/}; break ;; esac; done
  strace -c -q -p \$loop -o /tmp/strace.txt & tracer=\$!
  sleep 2
  java \$JAVA_OPTS -jar /app/userpoll-examples.jar http-echo-client --port 8080 --connections 8 \\
    --requests $HTTP_REQUESTS --size 512 --transport nio > /tmp/http-client.log 2>&1
  rc=\$?
  kill -INT \$tracer; wait \$tracer
  cat /tmp/strace.txt
  calls=\$(awk '\$NF == "total" { print \$4 }' /tmp/strace.txt)
  cat /tmp/http-client.log
  grep -q " errors=0 mismatches=0 " /tmp/http-client.log || rc=1
  kill \$server; wait \$server
  stats=\$(grep -o 'loop statistics: .*' /tmp/http-server.log)
  echo "GUEST-HTTP arm=\$arm rc=\$rc requests=$HTTP_REQUESTS served=\$((1000 + $HTTP_REQUESTS)) syscalls=\$calls \$stats"
  [ \$rc = 0 ] || http_rc=1
done
echo "GUEST-MARK HTTP-END rc=\$http_rc uptime=\$(cut -d' ' -f1 /proc/uptime)"

for f in /tmp/hs_err*.log; do
  [ -f "\$f" ] && { echo "GUEST-MARK HS_ERR \$f"; cat "\$f"; }
done
echo "GUEST-MARK DONE uptime=\$(cut -d' ' -f1 /proc/uptime)"
sync
reboot -f
EOF
chmod +x "$RUN/init"
step "packing the initramfs"
(cd "$RUN" && find . | cpio -o -H newc --quiet | gzip -1) > "$CACHE/initramfs.cpio.gz"
echo "initramfs: $(du -h "$CACHE/initramfs.cpio.gz" | cut -f1)"

# ---- 6. boot
step "booting under QEMU (TCG, -smp $SMP; console log: $LOG)"
t0=$(now)
set +e
timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -m "$MEMORY" -smp "$SMP" -accel tcg,thread=multi -nographic -no-reboot \
  -kernel "$SRC/arch/x86/boot/bzImage" -initrd "$CACHE/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet panic=-1" < /dev/null 2>&1 | tr -d '\r' | tee "$LOG"
qemu_rc=${PIPESTATUS[0]}
set -e
GUEST_S=$(( $(now) - t0 ))

# ---- 7. summary
mark() { grep -m1 "GUEST-MARK $1" "$LOG" || true; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
summary_of() { # console launcher summary lines between two markers
  sed -n "/GUEST-MARK $1-START/,/GUEST-MARK $1-END/p" "$LOG" |
    grep -E '^\[ +[0-9]+ (tests (successful|failed|aborted|skipped)|containers (aborted|failed))' |
    tr -s ' ' | tr -d '[]' | tr '\n' ',' | sed 's/ *, */, /g; s/, $//'
}
fail=0
booted=$(mark BOOTED | field uptime)
abi_rc=$(mark ABI-END | field rc)
ring_rc=$(mark RING-END | field rc)
echo_rc=$(mark ECHO-END | field rc)
channels_rc=$(mark CHANNELS-END | field rc)
suite_rc=$(mark SUITE-END | field rc)
http_rc=$(mark HTTP-END | field rc)
done_at=$(mark DONE | field uptime)
echo
echo "================ userpoll kernel run summary ================"
echo "kernel:          $KERNEL_RELEASE + epoll-userpoll.patch ($(grep -c '^[+-][^+-]' "$HERE/epoll-userpoll.patch") changed lines), epoll_create2 = syscall $SYSCALL_NR"
echo "kernel build:    ${KERNEL_BUILD_S}s (make bzImage, cached tree); java build ${JAVA_BUILD_S}s"
echo "guest:           /init at ${booted:-?}s of uptime, done at ${done_at:-?}s; qemu wall ${GUEST_S}s (exit $qemu_rc)"
report() { # name rc details
  if [ "$2" = 0 ]; then echo "PASS  $1  $3"; elif [ "$2" = skipped ]; then echo "SKIP  $1  (not selected)"
  else echo "FAIL  $1 (rc=${2:-none})  $3"; fail=1; fi
}
report "(a) raw ABI check (C)     " "$abi_rc" "$(grep -o 'USERPOLL-ABI-CHECK: .*' "$LOG" | head -1)"
grep '^FAIL ' "$LOG" | sed 's/^/        /' || true
report "(b) ring tests (JUnit)    " "$ring_rc" "$(summary_of RING)"
report "(c) echo test (JUnit)     " "$echo_rc" "$(summary_of ECHO)"
report "(d) channel tests (JUnit) " "$channels_rc" "$(summary_of CHANNELS)"
report "(e) Netty suite ($SUITE_SOURCES)" "$suite_rc" "$(summary_of SUITE)"
report "(f) HTTP echo             " "$http_rc" "$(grep -c '^GUEST-HTTP .*rc=0 ' "$LOG") of $(echo $HTTP_ARMS | wc -w) arms served every byte"
# The server loop's own kernel entries per request (UserpollLoopStatistics, counted by the transport itself).
grep '^GUEST-HTTP ' "$LOG" | sed 's/loop statistics: UserpollLoopStatistics(//' | tr -d ',)' | awk '{
  split("", v)
  for (i = 2; i <= NF; i++) { n = index($i, "="); if (n) v[substr($i, 1, n - 1)] = substr($i, n + 1) }
  req = v["requests"] + 0; all = v["served"] + 0 # strace saw the measured run; the statistics the warm-up too
  if (req > 0 && all > 0 && v["kernelEntries"] != "")
    printf "      %-28s system calls/request %.3f (strace, loop thread); by the loop %.3f (park %.3f, submit %.3f, registration %.3f; parking submits %.3f)\n",
      v["arm"], v["syscalls"] / req, v["kernelEntries"] / all, v["parkEntries"] / all, v["submitEntries"] / all,
      v["registrationEntries"] / all, v["parkingBatchSubmits"] / all
  else
    printf "      %-28s no statistics (rc %s)\n", v["arm"], v["rc"]
}'
# The real source must have run: its tests are skipped (assumption) only where the kernel lacks the ABI.
if grep -qE "userpoll ring source unavailable|ring source userpoll is unavailable" "$LOG"; then
  echo "FAIL  the guest's JVM found no EPOLL_USERPOLL: $(grep -m1 -oE 'EPOLL_USERPOLL is not supported[^│]*' "$LOG")"
  fail=1
fi
if grep -q "GUEST-MARK HS_ERR" "$LOG"; then echo "FAIL  a JVM crashed: hs_err printed in $LOG"; fail=1; fi
[ -n "$done_at" ] || { echo "FAIL  the guest did not finish (timeout ${QEMU_TIMEOUT}s or crash): see $LOG"; fail=1; }
echo "console log:     $LOG"
exit $fail
