import EBPF

// bcc's attach_xdp and remove_xdp.
extension BPF {
    /// Attaches XDP function `fnName` to network device `dev` (bcc's
    /// `attach_xdp`): a BPF link where the kernel has them, else rtnetlink.
    /// `flags`: `.generic` (XDP_FLAGS_SKB_MODE), `.driver`, `.offload`, and
    /// `.updateIfNoExist` to fail instead of replacing a program the device
    /// runs already (bcc replaces it, and so does this).
    public func attachXdp(dev: String, fnName: String, flags: XDPFlags = [],
                          mechanism: XDPLink.Mechanism = .automatic) throws(BCCError) {
        let interface = try networkInterface(dev)
        let program = try program(fnName, as: .xdp, expectedAttachType: .xdp, for: "XDP on device \(dev)")
        // One XDP program per device: ours there goes first (its link would refuse the new one).
        if let previous = attachments.keys.first(where: { $0.network?.kind == "xdp" && $0.network?.target == dev }) {
            guard !flags.contains(.updateIfNoExist) else {
                throw .invalidUse(object: "XDP on device \(dev)", detail: "runs '\(previous.function)' already (updateIfNoExist)")
            }
            try detach(previous)
        }
        let key = AttachmentKey(network: "xdp", target: dev, function: fnName)
        try adopt(key) { () throws(BCCError) -> any Link in
            try BCCError.wrapping("attach \(fnName) to", key.target) {
                try XDPLink(program: program, interface: interface, flags: flags, mechanism: mechanism)
            }
        }
    }

    /// Removes the XDP program of device `dev` (bcc's `remove_xdp`): the one
    /// this object attached, else whatever program netlink attached in the
    /// mode of `flags`.
    public func removeXdp(dev: String, flags: XDPFlags = []) throws(BCCError) {
        if let ours = attachments.keys.first(where: { $0.network?.kind == "xdp" && $0.network?.target == dev }) {
            try detach(ours)
            return
        }
        let interface = try networkInterface(dev)
        try BCCError.wrapping("remove the XDP program of", "device \(dev)") {
            try XDPLink.detach(interface: interface, flags: flags)
        }
    }
}
