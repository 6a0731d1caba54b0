// The options bcc's TCP tools share: -4/-6 (all of them) and the line style
// and port filters of tcplife and tcpstates.
import ArgumentParser
import BCC

/// `-4` and `-6`: one address family, as bcc's TCP tools take them.
public struct TCPFamilyOptions: ParsableArguments {
    @Flag(name: [.customShort("4"), .customLong("ipv4")], help: "trace IPv4 family only")
    public var ipv4 = false

    @Flag(name: [.customShort("6"), .customLong("ipv6")], help: "trace IPv6 family only")
    public var ipv6 = false

    public init() {}

    public func validate() throws {
        if ipv4 && ipv6 { throw ValidationError("-4 and -6 are mutually exclusive") }
    }

    /// The families to trace.
    public var family: TCPFamilyFilter { TCPFamilyFilter(ipv4: ipv4, ipv6: ipv6) }
}

/// tcplife's and tcpstates' `-T -t -w -s -L PORTS -D PORTS -4 -6`.
public struct TCPSessionOptions: ParsableArguments {
    @Flag(name: [.customShort("T"), .long], help: "include time column on output (HH:MM:SS)") public var time = false

    @Flag(name: [.customShort("t"), .long], help: "include timestamp on output (seconds)") public var timestamp = false

    @Option(name: [.customShort("L"), .customLong("localport")], help: "comma-separated list of local ports to trace.") public var localPorts: String?

    @Flag(name: [.customShort("w"), .long], help: "wide column output (fits IPv6 addresses)") public var wide = false

    @Flag(name: [.customShort("s"), .long], help: "comma separated values output") public var csv = false

    @Option(name: [.customShort("D"), .customLong("remoteport")], help: "comma-separated list of remote ports to trace.") public var remotePorts: String?

    @OptionGroup public var families: TCPFamilyOptions

    public init() {}

    public func validate() throws {
        _ = try ports()
    }

    /// The line layout -T, -t, -w and -s ask for.
    public var style: TCPLineStyle { TCPLineStyle(time: time, timestamp: timestamp, wide: wide, csv: csv) }

    /// The -L and -D port lists (nil when not given).
    public func ports() throws(ValidationError) -> (local: [UInt16]?, remote: [UInt16]?) {
        (try TCPText.portOption(localPorts, option: "-L"), try TCPText.portOption(remotePorts, option: "-D"))
    }

    /// Fills the program's `lports` and `dports` sets (``TCPPortFilter``) from -L and -D.
    public func fillPortFilters(_ b: BPF) throws {
        let (local, remote) = try ports()
        if let local { try TCPPortFilter.fill(b, "lports", with: local) }
        if let remote { try TCPPortFilter.fill(b, "dports", with: remote) }
    }
}
