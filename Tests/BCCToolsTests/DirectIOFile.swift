import Foundation
import TestSupport

/// A file on the disk behind the temporary directory, whose reads a `dd`
/// child makes with O_DIRECT, so each one is a block I/O of that child.
final class DirectIOFile: @unchecked Sendable {
    let directory: URL
    let path: String
    /// Bytes per read.
    let blockSize = 65536
    /// Reads per pass over the file.
    let blocks: Int

    /// A file of `blocks` blocks of random bytes, on disk (fsync'd).
    init(blocks: Int = 32) throws {
        self.blocks = blocks
        directory = try TestSupport.temporaryDirectory("directio")
        path = directory.appendingPathComponent("data").path
        let status = try ChildProcess.run("/usr/bin/dd", ["if=/dev/urandom", "of=\(path)", "bs=\(blockSize)", "count=\(blocks)",
                                                         "conv=fsync", "status=none"])
        guard status == 0 else { throw SpawnError(description: "dd could not write \(path): status \(String(describing: status))") }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Reads the file once with O_DIRECT in a `dd` child and returns its pid.
    func readDirect() throws -> pid_t {
        let child = try ChildProcess("/usr/bin/dd", ["if=\(path)", "of=/dev/null", "bs=\(blockSize)", "iflag=direct", "status=none"])
        guard child.waitForExit(timeout: 30) == 0 else { throw SpawnError(description: "dd could not read \(path)") }
        return child.pid
    }

    /// The whole disk the file is on ("vda" for /dev/vda1), as the block tracepoints name it.
    var diskName: String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let device = UInt64(info.st_dev)
        let major = (device >> 8) & 0xfff | (device >> 32) & 0xffff_f000
        let minor = device & 0xff | (device >> 12) & 0xffff_ff00
        let link = "/sys/dev/block/\(major):\(minor)"
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else { return nil }
        let node = URL(fileURLWithPath: link).deletingLastPathComponent().appendingPathComponent(target).standardized
        let isPartition = FileManager.default.fileExists(atPath: node.appendingPathComponent("partition").path)
        return (isPartition ? node.deletingLastPathComponent() : node).lastPathComponent
    }
}
