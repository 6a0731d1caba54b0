# Sourced by the Fuzz/*.sh scripts (after Fuzz/lib/run.sh): builds swift-bcc's
# modules as SwiftPM does (each module's whole Sources folder, one package so
# `package` symbols link), instrumented for libFuzzer and AddressSanitizer,
# into static libraries under .build/fuzz-modules-O (or -Onone), shared by the scripts. A
# module is rebuilt only when its files or a module it imports changed, so
# running every target (Fuzz/run-all.sh) builds each module once.
#   module NAME [IMPORTED...] [-- swiftc flags...]   Sources/NAME -> libNAME.a, NAME.swiftmodule
#   cbpf                                             the C shim -> libCBPF.a, module map
#   ebpf                                             EBPF and what it imports (testing enabled)
modules="$PWD/.build/fuzz-modules$optimization"
mkdir -p "$modules"
flags=(-parse-as-library "$optimization" -sanitize=fuzzer,address -package-name swift_bcc -I "$modules")

module() {
    local name="$1" library="$modules/lib$1.a" stale=0
    shift
    local extra=()
    while [ "$#" -gt 0 ]; do
        if [ "$1" = "--" ]; then shift; extra=("$@"); break; fi
        [ "$modules/lib$1.a" -nt "$library" ] && stale=1
        shift
    done
    local files
    files="$(find "Sources/$name" -name '*.swift' | sort)"
    # The file list is kept too: a deleted or added file makes the library stale.
    if [ "$stale" = 0 ] && [ -f "$library" ] && [ "$files" = "$(cat "$modules/$name.files" 2>/dev/null)" ] \
        && [ -z "$(find "Sources/$name" -name '*.swift' -newer "$library" | head -1)" ]; then
        return 0
    fi
    # shellcheck disable=SC2086  # file names have no spaces
    (
        flock 9
        swiftc "${flags[@]}" "${extra[@]}" -module-name "$name" -emit-module -emit-module-path "$modules/$name.swiftmodule" \
            -emit-library -static $files -o "$modules/lib$name.a.tmp"
        mv "$modules/lib$name.a.tmp" "$library"
        printf '%s' "$files" > "$modules/$name.files"
    ) 9> "$modules/lock"
}

cbpf() {
    local library="$modules/libCBPF.a"
    if [ -f "$library" ] && [ -z "$(find Sources/CBPF -newer "$library" -type f | head -1)" ]; then return 0; fi
    cat > "$modules/module.modulemap" <<MAP
module CBPF {
    header "$PWD/Sources/CBPF/include/CBPF.h"
    export *
}
MAP
    clang -c -O1 -fsanitize=fuzzer-no-link,address -I Sources/CBPF/include Sources/CBPF/shim.c -o "$modules/shim.o"
    ar rcs "$library" "$modules/shim.o"
}

# EBPF and what it imports (as Package.swift lists it), EBPF with testing
# enabled so a target can reach its internal parsers; the link flags follow.
ebpf_libraries=(-L "$modules" -lEBPF -lNetlink -lBPFObject -lBTF -lELF -lCBPF)
ebpf() {
    cbpf
    module ELF
    module BTF
    module BPFObject ELF BTF
    module Netlink
    module EBPF CBPF ELF BTF BPFObject Netlink -- -enable-testing
}
