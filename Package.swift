// swift-tools-version: 6.0
import PackageDescription

// Layers (arrows point down): tools (bcc-exporter and BCCExporter among them) -> BCC -> EBPF -> BPFObject, BTF, ELF, Netlink -> CBPF.
// See DESIGN.md. The pure layers (ELF, BTF, BPFObject, Netlink) make no syscalls.
let package = Package(
    name: "swift-bcc",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "BCC", targets: ["BCC"]),
        .library(name: "BCCDialect", targets: ["BCCDialect"]),
        .library(name: "BCCEvents", targets: ["BCCEvents"]),
        .library(name: "EBPF", targets: ["EBPF"]),
        .library(name: "BTF", targets: ["BTF"]),
        .library(name: "BPFObject", targets: ["BPFObject"]),
        .library(name: "ELF", targets: ["ELF"]),
        .library(name: "Netlink", targets: ["Netlink"]),
        .library(name: "BCCExporter", targets: ["BCCExporter"]),
        .executable(name: "swift-bcc", targets: ["swift-bcc"]),
        .executable(name: "bcc-exporter", targets: ["bcc-exporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // bcc-exporter only: YAML configs, the HTTP server, signals and graceful shutdown, logging.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
    ],
    targets: [
        // C shim: bpf(2), perf_event_open(2), ioctl, and ordered atomics on mapped memory.
        .target(name: "CBPF"),
        .target(name: "ELF"),
        .target(name: "BTF"),
        .target(name: "BPFObject", dependencies: ["ELF", "BTF"]),
        // Pure: rtnetlink messages (links, XDP, qdiscs, filters) encoded and decoded.
        .target(name: "Netlink"),
        .target(name: "EBPF", dependencies: ["CBPF", "ELF", "BTF", "BPFObject", "Netlink"]),
        // Pure: bcc's C dialect rewritten to plain C (no syscalls, no kernel).
        .target(name: "BCCDialect", dependencies: ["BPFObject", "ELF"]),
        // Pure over BTF: event decoding, text and JSON, layout checks, Swift mirrors.
        .target(name: "BCCEvents", dependencies: ["BTF"]),
        // Pure: bcc's one-liner probe specifiers (trace, argdist, funccount, ...) and the C they generate.
        .target(name: "ProbeSpec"),
        .target(name: "BCC", dependencies: ["BCCDialect", "BCCEvents", "CBPF", "EBPF", "BPFObject", "BTF", "ELF"]),
        // What the bcc-style tools share: stopping on signals, output formats.
        .target(name: "BCCTools", dependencies: ["BCC", "BPFObject", "EBPF", "ProbeSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "opensnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "execsnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Examples/: the reference guide's ring buffer examples and bcc's examples/ringbuf, in Swift.
        .executableTarget(name: "guide-ringbuf-output", dependencies: ["BCC", "BCCTools"], path: "Examples/guide-ringbuf-output"),
        .executableTarget(name: "guide-ringbuf-reserve", dependencies: ["BCC", "BCCTools"], path: "Examples/guide-ringbuf-reserve"),
        .executableTarget(name: "ringbuf-output", dependencies: ["BCC", "BCCTools"], path: "Examples/ringbuf-output"),
        .executableTarget(name: "ringbuf-submit", dependencies: ["BCC", "BCCTools"], path: "Examples/ringbuf-submit"),
        // Examples/: bcc's examples/networking XDP drop counter and HTTP filter.
        .executableTarget(name: "xdp-drop-count", dependencies: ["BCC", "BCCTools", "EBPF", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Examples/xdp-drop-count"),
        .executableTarget(name: "http-filter", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Examples/http-filter"),
        .executableTarget(name: "funccount", dependencies: ["BCC", "BCCTools", "ProbeSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "funclatency", dependencies: ["BCC", "BCCTools", "ProbeSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "stackcount", dependencies: ["BCC", "BCCTools", "ProbeSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "trace", dependencies: ["BCC", "BCCTools", "ProbeSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "argdist", dependencies: ["BCC", "BCCTools", "ProbeSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tplist", dependencies: ["BCC", "BCCTools", "EBPF", "ELF", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "ucalls", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "runqlat", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Block I/O, scheduler, CPU and interrupt tools (tracepoints, raw tracepoints, perf events).
        .executableTarget(name: "biolatency", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "biosnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "biopattern", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "bitesize", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "cpudist", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "offcputime", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "wakeuptime", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "runqslower", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "runqlen", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "profile", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "hardirqs", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "softirqs", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "syscount", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "killsnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "sigsnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "exitsnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "statsnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mountsnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "drsnoop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "oomkill", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Network and user-space tools (sock, tcp and skb tracepoints, uprobes).
        .executableTarget(name: "tcpstates", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tcplife", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tcpconnect", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tcpaccept", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tcpretrans", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "tcpdrop", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "bashreadline", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "memleak", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "gethostlatency", dependencies: ["BCC", "BCCTools", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "swift-bcc",
            dependencies: ["BCC", "BCCTools", "BTF", "ProbeSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // bcc-exporter's parts: config schema and validation, label decoders, histogram
        // assembly and the Prometheus text writer (pure), and the runtime that loads
        // configs' programs and reads their tables at scrape time.
        .target(name: "BCCExporter", dependencies: ["BCC", "BCCDialect", "EBPF", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "bcc-exporter",
            dependencies: [
                "BCCExporter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Spawned by EBPFTests for scenarios that need their own process (dropped privileges, exact fd counts).
        .executableTarget(name: "ebpf-test-helper", dependencies: ["EBPF", "BPFObject", "BTF"], path: "Tests/EBPFTestHelper"),
        .testTarget(name: "ProbeSpecTests", dependencies: ["ProbeSpec"]),
        .testTarget(name: "ELFTests", dependencies: ["ELF", "TestSupport"]),
        .testTarget(name: "BTFTests", dependencies: ["BTF", "ELF", "TestSupport"]),
        .testTarget(name: "BPFObjectTests", dependencies: ["BPFObject", "TestSupport"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink"]),
        .testTarget(name: "EBPFTests", dependencies: ["EBPF", "BPFObject", "BTF", "CBPF", "TestSupport"]),
        .testTarget(name: "BCCTests", dependencies: ["BCC", "BCCDialect", "BCCEvents", "BPFObject", "EBPF", "CBPF", "TestSupport"]),
        .testTarget(name: "BCCExporterTests", dependencies: ["BCCExporter", "BCC", "EBPF", "TestSupport", "bcc-exporter"]),
        .testTarget(name: "BCCToolsTests", dependencies: ["BCCTools", "BCC", "ELF", "TestSupport", "opensnoop", "execsnoop", "runqlat",
                                                           "guide-ringbuf-output", "guide-ringbuf-reserve", "ringbuf-output", "ringbuf-submit",
                                                           "xdp-drop-count", "http-filter",
                                                           "funccount", "funclatency", "stackcount", "trace", "argdist",
                                                           "biolatency", "biosnoop", "biopattern", "bitesize", "cpudist", "offcputime",
                                                           "wakeuptime", "runqslower", "runqlen", "profile", "hardirqs", "softirqs",
                                                           "syscount", "killsnoop", "sigsnoop", "exitsnoop", "statsnoop",
                                                           "mountsnoop", "drsnoop", "oomkill",
                                                           "tplist", "ucalls",
                                                           "tcpstates", "tcplife", "tcpconnect", "tcpaccept", "tcpretrans", "tcpdrop",
                                                           "bashreadline", "gethostlatency", "memleak"]),

    ]
)
