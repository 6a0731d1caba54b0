#!/usr/bin/env bash
# Fuzzes the rtnetlink decoders (Sources/Netlink: messages, replies with
# extended ack, link and traffic-control payloads, nested attributes) with
# libFuzzer and AddressSanitizer for a bounded time.
#   Fuzz/fuzz-netlink.sh [seconds | --replay FILE...]     (Fuzz/lib/run.sh)
# Seeds: a link dump entry with IFLA_XDP, a bpf filter, an error with an
# extended-ack message, written by the encoders themselves.
set -euo pipefail
source "$(dirname "$0")/lib/run.sh"
work=".build/fuzz-netlink"
rm -rf "$work"
mkdir -p "$work"

# The target is compiled into the Netlink module itself (it reaches internal API).
swiftc -parse-as-library "$optimization" -sanitize=fuzzer,address -module-name Netlink \
    Sources/Netlink/*.swift Fuzz/Netlink/main.swift -o "$work/fuzz-netlink" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

corpus="$work/corpus"
mkdir -p "$corpus"
# The seeds are the encoders' own output, written by a small program compiled with the same sources.
mkdir -p "$work/seeds"
cat > "$work/seeds/main.swift" <<'SWIFT'
import Foundation
let directory = CommandLine.arguments[1]
func write(_ name: String, _ bytes: [UInt8]) {
    FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data(bytes))
}
let link = LinkMessage(index: 5, attributes: [
    NetlinkAttribute(type: LinkAttribute.name, string: "veth1"),
    NetlinkAttribute(type: LinkAttribute.xdp, nested: [
        NetlinkAttribute(type: XDPAttribute.attached, integer: UInt8(1)),
        NetlinkAttribute(type: XDPAttribute.programID, integer: UInt32(42)),
    ]),
])
write("link", NetlinkMessage(type: NetlinkMessageType.newLink, flags: .multipart, payload: link.encoded()).encoded()
    + NetlinkMessage(type: NetlinkMessageType.done, flags: .multipart, payload: [0, 0, 0, 0]).encoded())
let filter = TrafficControlMessage.bpfFilter(interfaceIndex: 5, parent: TrafficControlHandle.ingress, priority: 1,
                                             handle: 1, programFD: 9, programName: "count")
write("filter", NetlinkMessage(type: NetlinkMessageType.newFilter, flags: [], payload: filter.encoded()).encoded())
var error: [UInt8] = [0xF0, 0xFF, 0xFF, 0xFF]
error += NetlinkMessage(type: NetlinkMessageType.setLink, flags: .request, sequence: 1).encoded()
error += NetlinkAttribute.encode([NetlinkAttribute(type: 1, string: "XDP program already attached")])
write("error", NetlinkMessage(type: NetlinkMessageType.error, flags: [.capped, .acknowledgementAttributes], sequence: 1,
                              payload: error).encoded())
SWIFT
# -Onone: the seed writer runs once, so compiling it fast matters more.
swiftc -Onone -module-name Netlink Sources/Netlink/*.swift "$work/seeds/main.swift" -o "$work/seeds/write-seeds"
"$work/seeds/write-seeds" "$corpus"
fuzz_run "$work/fuzz-netlink" "$corpus" -max_len=16384
