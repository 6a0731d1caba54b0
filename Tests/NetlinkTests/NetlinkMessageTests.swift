import Netlink
import Testing

/// Messages and attributes: the bytes the kernel expects, and decoding of
/// what it sends back (acknowledgements, errors with extended ack, dumps).
@Suite struct NetlinkMessageTests {
    /// Host-order bytes of `value`.
    static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    @Test func messageHeaderCountsThePayloadAndPadsTheMessage() {
        let message = NetlinkMessage(type: NetlinkMessageType.getLink, flags: [.request, .dump], sequence: 7, portID: 0,
                                     payload: [1, 2, 3, 4, 5])
        let encoded = message.encoded()
        #expect(encoded.count == 24)  // 16 + 5, padded to 4
        #expect(Array(encoded[0..<4]) == Self.bytes(UInt32(21)))
        #expect(Array(encoded[4..<6]) == Self.bytes(UInt16(18)))
        #expect(Array(encoded[6..<8]) == Self.bytes(UInt16(0x301)))
        #expect(Array(encoded[8..<12]) == Self.bytes(UInt32(7)))
        #expect(Array(encoded[16..<21]) == [1, 2, 3, 4, 5])
        #expect(Array(encoded[21...]) == [0, 0, 0])
    }

    @Test func datagramOfSeveralMessagesRoundTrips() throws {
        let first = NetlinkMessage(type: 16, flags: .multipart, sequence: 1, payload: [9, 9, 9])
        let second = NetlinkMessage(type: 3, flags: .multipart, sequence: 1, payload: Self.bytes(Int32(0)))
        let decoded = try NetlinkMessage.decodeAll(first.encoded() + second.encoded())
        #expect(decoded == [first, second])
    }

    @Test func attributesNestAndPad() throws {
        let attributes = [
            NetlinkAttribute(type: 3, string: "veth0"),
            NetlinkAttribute(type: 43, nested: [NetlinkAttribute(type: 1, integer: Int32(-1)),
                                                NetlinkAttribute(type: 3, integer: UInt32(2))]),
        ]
        let encoded = NetlinkAttribute.encode(attributes)
        // "veth0\0" is 6 bytes: header 4 + 6 = 10, padded to 12; nested: 4 + 8 + 8 = 20.
        #expect(encoded.count == 32)
        #expect(Array(encoded[0..<2]) == Self.bytes(UInt16(10)))
        #expect(Array(encoded[14..<16]) == Self.bytes(UInt16(43 | 0x8000)))
        let decoded = try NetlinkAttribute.decodeAll(encoded[...], what: "test")
        #expect(decoded == attributes)
        #expect(decoded[0].string == "veth0")
        let nested = try decoded[1].nested()
        #expect(try nested.integer(1, as: Int32.self) == -1)
        #expect(try nested.integer(3, as: UInt32.self) == 2)
    }

    @Test func integerOfTheWrongSizeIsAnError() {
        let attribute = NetlinkAttribute(type: 4, value: [1, 2])
        #expect(throws: NetlinkError.malformed(what: "attribute 4", detail: "holds 2 bytes, expected a 4-byte integer")) {
            try attribute.integer(as: UInt32.self)
        }
    }

    @Test func attributeLengthPastItsContainerIsAnError() {
        var bytes = NetlinkAttribute.encode([NetlinkAttribute(type: 1, integer: UInt32(5))])
        bytes[0] = 40
        #expect(throws: NetlinkError.truncated(what: "link: attribute 0", offset: 4, needed: 36, available: 4)) {
            try NetlinkAttribute.decodeAll(bytes[...], what: "link")
        }
        bytes[0] = 2
        #expect(throws: NetlinkError.malformed(what: "link: attribute 0", detail: "length 2 is shorter than the 4-byte header")) {
            try NetlinkAttribute.decodeAll(bytes[...], what: "link")
        }
    }

    @Test func messageLengthShorterThanItsHeaderIsAnError() {
        var bytes = NetlinkMessage(type: 16, flags: [], payload: []).encoded()
        bytes[0] = 8
        #expect(throws: NetlinkError.malformed(what: "message 0 at offset 0", detail: "length 8 is shorter than the 16-byte header")) {
            try NetlinkMessage.decodeAll(bytes)
        }
    }

    @Test func everyTruncationOfADatagramFailsCleanly() throws {
        let link = LinkMessage(index: 4, attributes: [NetlinkAttribute(type: LinkAttribute.name, string: "eth0")])
        let first = NetlinkMessage(type: 16, flags: .multipart, payload: link.encoded()).encoded()
        let datagram = first + NetlinkMessage(type: 3, flags: .multipart, payload: Self.bytes(Int32(0))).encoded()
        for length in 0..<datagram.count {
            do {
                for message in try NetlinkMessage.decodeAll(Array(datagram.prefix(length))) where message.type == 16 {
                    _ = try LinkMessage(decoding: message.payload)
                }
                // Only whole messages decode.
                #expect(length == 0 || length == first.count, "a cut at \(length) decoded")
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    // MARK: - Replies

    /// An NLMSG_ERROR the way the kernel builds it with NETLINK_EXT_ACK and NETLINK_CAP_ACK.
    static func errorMessage(errno: Int32, requestType: UInt16, sequence: UInt32, text: String?) -> NetlinkMessage {
        var payload = bytes(-errno)
        payload += NetlinkMessage(type: requestType, flags: [.request, .acknowledge], sequence: sequence).encoded()
        var flags: NetlinkFlags = .capped
        if let text {
            flags.insert(.acknowledgementAttributes)
            payload += NetlinkAttribute.encode([NetlinkAttribute(type: NetlinkReply.errorMessageAttribute, string: text),
                                                NetlinkAttribute(type: NetlinkReply.errorOffsetAttribute, integer: UInt32(36))])
        }
        return NetlinkMessage(type: NetlinkMessageType.error, flags: flags, sequence: sequence, payload: payload)
    }

    @Test func acknowledgementIsAnErrorOfZero() throws {
        let message = Self.errorMessage(errno: 0, requestType: NetlinkMessageType.setLink, sequence: 12, text: nil)
        #expect(try NetlinkReply(message) == .acknowledgement(sequence: 12))
    }

    @Test func errorCarriesTheKernelsExplanation() throws {
        let message = Self.errorMessage(errno: 16, requestType: NetlinkMessageType.setLink, sequence: 3,
                                        text: "XDP program already attached")
        let reply = try NetlinkReply(message)
        #expect(reply == .error(NetlinkErrorReply(errno: 16, sequence: 3, requestType: NetlinkMessageType.setLink,
                                                  message: "XDP program already attached", attributeOffset: 36)))
        if case let .error(error) = reply { #expect(error.description == "errno 16: XDP program already attached") }
    }

    @Test func uncappedErrorSkipsTheEchoedRequest() throws {
        let request = NetlinkMessage(type: NetlinkMessageType.newQdisc, flags: .request, sequence: 5,
                                     payload: TrafficControlMessage.clsactQdisc(interfaceIndex: 2).encoded())
        let payload = Self.bytes(Int32(-17)) + request.encoded()
            + NetlinkAttribute.encode([NetlinkAttribute(type: NetlinkReply.errorMessageAttribute, string: "Exclusivity flag on, cannot modify.")])
        let message = NetlinkMessage(type: NetlinkMessageType.error, flags: .acknowledgementAttributes, sequence: 5, payload: payload)
        guard case let .error(error) = try NetlinkReply(message) else {
            Issue.record("expected an error")
            return
        }
        #expect(error.errno == 17)
        #expect(error.requestType == NetlinkMessageType.newQdisc)
        #expect(error.message == "Exclusivity flag on, cannot modify.")
    }

    @Test func doneEndsADumpAndMayCarryAnError() throws {
        #expect(try NetlinkReply(NetlinkMessage(type: 3, flags: .multipart, sequence: 9, payload: Self.bytes(Int32(0))))
                == .done(sequence: 9))
        #expect(try NetlinkReply(NetlinkMessage(type: 3, flags: .multipart, sequence: 9, payload: [])) == .done(sequence: 9))
        #expect(try NetlinkReply(NetlinkMessage(type: 3, flags: .multipart, sequence: 9, payload: Self.bytes(Int32(-22))))
                == .error(NetlinkErrorReply(errno: 22, sequence: 9, requestType: nil)))
    }

    @Test func truncatedErrorMessageIsAnError() {
        let message = NetlinkMessage(type: NetlinkMessageType.error, flags: [], sequence: 1, payload: [0xEA, 0xFF])
        #expect(throws: NetlinkError.truncated(what: "error message", offset: 0, needed: 4, available: 2)) {
            try NetlinkReply(message)
        }
    }
}
