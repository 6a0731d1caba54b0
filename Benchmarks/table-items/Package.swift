// swift-tools-version: 6.0
// The table-reading benchmark: a package of its own so that the main
// package's `swift build` does not build it. Run it with ./run.sh.
import PackageDescription

let package = Package(
    name: "items-bench",
    dependencies: [.package(name: "swift-bcc", path: "../..")],
    targets: [
        .executableTarget(name: "items-bench", dependencies: [.product(name: "BCC", package: "swift-bcc")]),
    ]
)
