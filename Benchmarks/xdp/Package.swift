// swift-tools-version: 6.0
// The XDP benchmark: a package of its own so that the main package's
// `swift build` does not build it. Run it with ./run.sh.
import PackageDescription

let package = Package(
    name: "xdp-bench",
    dependencies: [.package(name: "swift-bcc", path: "../..")],
    targets: [
        .executableTarget(name: "xdp-bench", dependencies: [.product(name: "BCC", package: "swift-bcc"), .product(name: "EBPF", package: "swift-bcc")]),
    ]
)
