# Sourced by the Fuzz/*.sh scripts: builds swift-bcc's modules as SwiftPM
# does (each module's whole Sources folder, one package so `package` symbols
# link), instrumented for libFuzzer and AddressSanitizer, into static
# libraries under $work. Set `work` before sourcing.
#   module NAME [swiftc flags...]   Sources/NAME -> $work/libNAME.a and NAME.swiftmodule
#   cbpf                           the C shim -> $work/libCBPF.a, module map in $work
flags=(-parse-as-library -O -sanitize=fuzzer,address -package-name swift_bcc -I "$work")

module() {
    local name="$1"
    shift
    # shellcheck disable=SC2046  # file names have no spaces
    swiftc "${flags[@]}" "$@" -module-name "$name" -emit-module -emit-module-path "$work/$name.swiftmodule" \
        -emit-library -static $(find "Sources/$name" -name '*.swift' | sort) -o "$work/lib$name.a"
}

cbpf() {
    cat > "$work/module.modulemap" <<MAP
module CBPF {
    header "$PWD/Sources/CBPF/include/CBPF.h"
    export *
}
MAP
    clang -c -O1 -fsanitize=fuzzer-no-link,address -I Sources/CBPF/include Sources/CBPF/shim.c -o "$work/shim.o"
    ar rcs "$work/libCBPF.a" "$work/shim.o"
}

# EBPF and what it depends on (as Package.swift lists it), EBPF with testing
# enabled so a target can reach its internal parsers; the link flags follow.
ebpf_libraries=(-L "$work" -lEBPF -lNetlink -lBPFObject -lBTF -lELF -lCBPF)
ebpf() {
    cbpf
    for name in ELF BTF BPFObject Netlink; do module "$name"; done
    module EBPF -enable-testing
}
