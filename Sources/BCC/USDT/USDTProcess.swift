import Glibc

/// What a `USDT(pid:)` needs from /proc/PID: the binaries a process maps,
/// where its root is, and where a file offset of a binary is in its memory.
struct USDTProcess {
    let pid: Int32

    /// The executable (/proc/PID/exe), if readable.
    var executable: String? {
        ProcFile.executable(pid: pid)
    }

    /// The process's mappings.
    func mappings() throws(BCCError) -> [ProcessMapping] {
        do {
            return ProcessMapping.parse(try ProcFile.text("/proc/\(pid)/maps"))
        } catch {
            throw .file(path: "/proc/\(pid)/maps", detail: "cannot read the process's memory map (is process \(pid) running?): \(error)")
        }
    }

    /// The files the process maps executable code from, the executable first.
    func mappedBinaries() throws(BCCError) -> [String] {
        var files: [String] = []
        for mapping in try mappings() where mapping.isExecutableFile && !files.contains(mapping.path) {
            files.append(mapping.path)
        }
        if let executable, let at = files.firstIndex(of: executable), at != 0 {
            files.remove(at: at)
            files.insert(executable, at: 0)
        }
        return files
    }

    /// `path` as this process sees it: through /proc/PID/root when the
    /// process has another root (a container), else as is.
    func pathInItsRoot(_ path: String) -> String {
        var ours = stat(), theirs = stat()
        guard stat("/", &ours) == 0, stat("/proc/\(pid)/root", &theirs) == 0,
              ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino else { return path }
        return "/proc/\(pid)/root" + path
    }

    /// The address in the process of byte `fileOffset` of `binary` (as the maps name it).
    func address(ofFileOffset fileOffset: UInt64, in binary: String) throws(BCCError) -> UInt64 {
        for mapping in try mappings() where mapping.path == binary {
            if fileOffset >= mapping.fileOffset, fileOffset - mapping.fileOffset < mapping.end - mapping.start {
                return mapping.start + (fileOffset - mapping.fileOffset)
            }
        }
        throw .invalidUse(object: "\(binary) in process \(pid)",
                                  detail: "file offset 0x\(String(fileOffset, radix: 16)) is not mapped")
    }
}
