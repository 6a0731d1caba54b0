# Sourced by the benchmark scripts: how the tools are built for measuring,
# in one place. Release, with the Swift runtime and FoundationEssentials
# linked in statically (`--static-swift-stdlib`), the way README says to
# build tools for real use: the binary then carries only the library code
# it calls, which is what a tool's peak RSS is measured on (issue 18).
release_build=(swift build -c release --static-swift-stdlib)
