import EBPF

// tc programs on a device's ingress or egress (bcc leaves this to pyroute2).
extension BPF {
    /// Attaches function `fnName` as a tc classifier (direct action: its
    /// return value is the verdict, TC_ACT_OK, TC_ACT_SHOT, TC_ACT_REDIRECT,
    /// ...) to `direction` of device `dev`: a tcx link where the kernel has it
    /// (Linux 6.6+), else a filter on a clsact qdisc, which is added if the
    /// device has none and removed with the last filter this process put on it.
    public func attachTc(dev: String, fnName: String, direction: TrafficControlDirection,
                         mechanism: TCLink.Mechanism = .automatic) throws(BCCError) {
        let interface = try networkInterface(dev)
        let program = try program(fnName, as: .schedCLS, for: "tc \(direction) of device \(dev)")
        let key = AttachmentKey(network: "tc \(direction)", target: dev, function: fnName)
        try adopt(key) { () throws(BCCError) -> any Link in
            try BCCError.wrapping("attach \(fnName) to", key.target) {
                try TCLink(program: program, interface: interface, direction: direction, mechanism: mechanism)
            }
        }
    }

    /// Detaches function `fnName` from `direction` of device `dev`.
    public func detachTc(dev: String, fnName: String, direction: TrafficControlDirection) throws(BCCError) {
        try detach(AttachmentKey(network: "tc \(direction)", target: dev, function: fnName))
    }
}
