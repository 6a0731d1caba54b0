// swift-tools-version: 6.0
// The ring buffer benchmark: a package of its own so that the main package's
// `swift build` does not build it. Run it with ./run.sh.
import PackageDescription

let package = Package(
    name: "ringbuf-bench",
    dependencies: [.package(name: "swift-bcc", path: "../..")],
    targets: [
        .executableTarget(
            name: "ringbuf-bench",
            dependencies: [.product(name: "EBPF", package: "swift-bcc"), .product(name: "BPFObject", package: "swift-bcc")]
        ),
    ]
)
