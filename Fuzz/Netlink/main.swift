// libFuzzer target for the rtnetlink decoders (Sources/Netlink): a datagram
// split into messages, each classified as a reply (acknowledgement, error
// with extended ack, done) and decoded as a link or traffic-control message
// with its nested attributes (IFLA_XDP, TCA_OPTIONS of a bpf filter) walked
// to a bounded depth. Every decoder must return a value or throw, never
// trap or read out of bounds; what decodes must encode back to the same value.

/// Decoded values are folded into here so the optimizer keeps the work.
nonisolated(unsafe) var resultChecksum = 0

/// Walks nested attributes; returns how many it saw.
func walk(_ attributes: [NetlinkAttribute], depth: Int) -> Int {
    var seen = attributes.count
    for attribute in attributes {
        resultChecksum &+= attribute.string.utf8.count &+ Int(attribute.type)
        if depth < 4, let inner = try? attribute.nested() {
            precondition(NetlinkAttribute.encode(inner).count <= Netlink.aligned(attribute.value.count) + 4 * inner.count,
                         "re-encoding nested attributes cannot grow beyond padding")
            seen += walk(inner, depth: depth + 1)
        }
    }
    return seen
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetlink(_ start: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let messages = try? NetlinkMessage.decodeAll(bytes) else { return 0 }
    for message in messages {
        precondition((try? NetlinkMessage.decodeAll(message.encoded())) == [message], "a decoded message round-trips")
        if let reply = try? NetlinkReply(message), case let .error(error) = reply {
            resultChecksum &+= Int(error.errno) &+ (error.message?.utf8.count ?? 0)
        }
        if let link = try? LinkMessage(decoding: message.payload) {
            precondition((try? LinkMessage(decoding: link.encoded())) == link, "a decoded link message round-trips")
            resultChecksum &+= walk(link.attributes, depth: 0) &+ (link.name?.utf8.count ?? 0)
            if let xdp = try? link.xdp() { resultChecksum &+= xdp.programIDs.count }
        }
        if let control = try? TrafficControlMessage(decoding: message.payload) {
            precondition((try? TrafficControlMessage(decoding: control.encoded())) == control,
                         "a decoded traffic control message round-trips")
            resultChecksum &+= walk(control.attributes, depth: 0) &+ Int(control.priority) &+ Int(control.protocolNumber)
            if let options = try? control.bpfFilterOptions() { resultChecksum &+= Int(options.programID ?? 0) }
        }
    }
    return 0
}
