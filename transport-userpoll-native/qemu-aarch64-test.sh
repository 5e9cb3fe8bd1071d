#!/usr/bin/env bash
# Runs tests of transport-userpoll on the linux-aarch_64 native library, in an aarch64 JVM under qemu-aarch64
# user emulation (no aarch64 machine needed): Maven builds both native jars as always, the transport module's
# tests depend on the linux-aarch_64 one (-Dnative.classifier=linux-aarch_64), and surefire forks Debian's
# aarch64 OpenJDK 17 through qemu-aarch64 (-Djvm=...). A manual check, not part of the README's test command.
#
#   transport-userpoll-native/qemu-aarch64-test.sh [TestClass,TestClass...]   (default: NativeLibraryTest,UserpollEchoTest)
#
# The first run sets up (root, Debian): qemu-user, the arm64 architecture in dpkg, and a sysroot with Debian's
# openjdk-17-jre-headless:arm64 and the libraries it needs, unpacked with dpkg -x into $USERPOLL_ARM64_SYSROOT
# (default /tmp/userpoll-arm64-sysroot). Later runs take about half a minute.
#
# Under qemu-user, io_uring is not there (qemu does not implement io_uring_setup: ENOSYS), so the io_uring
# source and the batched submitter are skipped with that cause; epoll is translated by qemu and runs; the real
# userpoll source needs the patched kernel (x86_64 only) and is skipped; userpoll over the emulated kernel runs.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS="${1:-NativeLibraryTest,UserpollEchoTest}"
SYSROOT="${USERPOLL_ARM64_SYSROOT:-/tmp/userpoll-arm64-sysroot}"
ARM64_JDK="$SYSROOT/usr/lib/jvm/java-17-openjdk-arm64"
WRAPPER_JDK="$SYSROOT.jdk"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"

need_root() {
    [ "$(id -u)" -eq 0 ] || { echo "qemu-aarch64-test.sh: setting up needs root ($*)" >&2; exit 1; }
}

if ! command -v qemu-aarch64 >/dev/null 2>&1; then
    need_root "apt-get install qemu-user"
    apt-get update -qq && apt-get install -y -qq qemu-user
fi

if [ ! -x "$ARM64_JDK/bin/java" ]; then
    need_root "dpkg --add-architecture arm64; apt-get download"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        dpkg --add-architecture arm64
    fi
    apt-get update -qq
    debs="$(mktemp -d)"
    (cd "$debs" && apt-get download -qq openjdk-17-jre-headless:arm64 libc6:arm64 libgcc-s1:arm64 \
        libstdc++6:arm64 zlib1g:arm64)
    mkdir -p "$SYSROOT"
    for deb in "$debs"/*.deb; do dpkg -x "$deb" "$SYSROOT"; done
    rm -rf "$debs"
fi

# Surefire forks "<jvm> ..."; this java runs the aarch64 one under qemu, the sysroot standing for / .
mkdir -p "$WRAPPER_JDK/bin"
cp "$ARM64_JDK/release" "$WRAPPER_JDK/release"
cat > "$WRAPPER_JDK/bin/java" <<WRAPPER
#!/bin/sh
exec qemu-aarch64 -L "$SYSROOT" "$ARM64_JDK/bin/java" "\$@"
WRAPPER
chmod +x "$WRAPPER_JDK/bin/java"
"$WRAPPER_JDK/bin/java" -version 2>&1 | sed 's/^/qemu-aarch64: /'

mvn -B -ntp -pl transport-userpoll-native,transport-userpoll verify \
    -Dnative.classifier=linux-aarch_64 -Djvm="$WRAPPER_JDK/bin/java" \
    -Dtest="$TESTS" -Dsurefire.failIfNoSpecifiedTests=false

# Show that the tests ran on aarch64 with the aarch64 library.
for report in transport-userpoll/target/surefire-reports/TEST-*.xml; do
    arch=$(grep -o 'name="os.arch" value="[^"]*"' "$report" | sed 's/.*value="\(.*\)"/\1/')
    lib=$(grep -o 'transport-userpoll-native-[^:"]*\.jar' "$report" | head -n 1)
    summary=$(grep -o '<testsuite [^>]*' "$report" | grep -o ' \(name\|tests\|skipped\|failures\|errors\)="[^"]*"' | tr -d '\n')
    echo "qemu-aarch64-test:$summary os.arch=$arch $lib"
done
