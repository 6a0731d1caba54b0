import EBPF

// bcc's attach_raw_socket.
extension BPF {
    /// Runs socket filter function `fnName` on a raw packet socket bound to
    /// device `dev` (bcc's `attach_raw_socket`) and returns the socket's
    /// descriptor (bcc's `fn.sock`): non-blocking, it queues every frame the
    /// device sends or receives that the program passes (its first N bytes
    /// for a return of N; -1 keeps the whole frame, 0 drops it). The object
    /// owns the socket: ``detachRawSocket(fnName:dev:)`` and ``close()`` close it.
    @discardableResult
    public func attachRawSocket(fnName: String, dev: String) throws(BCCError) -> Int32 {
        let interface = try networkInterface(dev)
        let program = try program(fnName, as: .socketFilter, for: "a raw socket on device \(dev)")
        let key = AttachmentKey(network: "raw socket", target: dev, function: fnName)
        var socket: Int32 = -1
        try adopt(key) { () throws(BCCError) -> any Link in
            let link = try BCCError.wrapping("attach \(fnName) to", key.target) {
                try RawSocketLink(program: program, interface: interface)
            }
            socket = link.socketDescriptor
            return link
        }
        return socket
    }

    /// Closes the raw socket of function `fnName` on device `dev`.
    public func detachRawSocket(fnName: String, dev: String) throws(BCCError) {
        try detach(AttachmentKey(network: "raw socket", target: dev, function: fnName))
    }
}
