#!/bin/sh
# Checks the linked JNI library before it is packaged; run by "make check" (so by Maven after linking).
# Fails when the library
#   - was built for another machine than the one its name says (a wrong CC),
#   - needs a GLIBC symbol version newer than the floor (the oldest glibc it must load on),
#   - exports anything but JNI_OnLoad and JNI_OnUnload,
#   - is not stripped,
#   - needs a shared library other than glibc's.
# Usage: check-lib.sh LIB ELF_MACHINE GLIBC_FLOOR [READELF]
set -eu
lib=$1
expected_machine=$2
floor=$3
readelf=${4:-readelf}
fail=0
err() { echo "check-lib: $lib: $*" >&2; fail=1; }

machine=$("$readelf" -h "$lib" | sed -n 's/^ *Machine: *//p')
case "$machine" in
    *"$expected_machine"*) ;;
    *) err "built for '$machine', expected $expected_machine (wrong compiler?)" ;;
esac

# Version needs: every GLIBC_x.y the dynamic linker will ask for.
versions=$("$readelf" -V -W "$lib" | sed -n 's/.*Name: GLIBC_\([0-9][0-9.]*\).*/\1/p' | sort -u -V)
newest=none
for v in $versions; do
    if [ "$(printf '%s\n%s\n' "$floor" "$v" | sort -V | tail -n 1)" != "$floor" ]; then
        err "needs GLIBC_$v, newer than the floor GLIBC_$floor, for: $("$readelf" --dyn-syms -W "$lib" \
            | awk -v ver="@GLIBC_$v" 'index($8, ver) { sub(/@.*/, "", $8); printf "%s ", $8 }')"
    fi
    newest=$v
done

exports=$("$readelf" --dyn-syms -W "$lib" \
    | awk '$7 != "UND" && $7 != "Ndx" && ($5 == "GLOBAL" || $5 == "WEAK") && $8 != "" { sub(/@.*/, "", $8); print $8 }' \
    | sort -u | tr '\n' ' ')
[ "$exports" = "JNI_OnLoad JNI_OnUnload " ] || err "exports '$exports', expected only JNI_OnLoad and JNI_OnUnload"

if "$readelf" -S -W "$lib" | grep -Eq ' \.(symtab|debug_[a-z]+) '; then
    err "not stripped (.symtab or .debug_* present)"
fi

needed=$("$readelf" -d -W "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for n in $needed; do
    case "$n" in
        libc.so.6|libdl.so.2|libpthread.so.0|librt.so.1|libm.so.6) ;;
        *) err "needs $n; only glibc's libraries are expected" ;;
    esac
done

[ "$fail" -eq 0 ] || exit 1
echo "check-lib: $lib: $machine, GLIBC <= $newest (floor $floor), exports JNI_OnLoad JNI_OnUnload, stripped, needs $needed"
