// Generated from the Linux UAPI headers asm-generic/errno-base.h and
// asm-generic/errno.h (x86_64 and aarch64 share them); where two names share a
// number (EWOULDBLOCK, EDEADLOCK) the first is kept, as Go's unix.ErrnoName does.

/// errno names by number ("ENOENT" for 2), as Python's `errno.errorcode`
/// gives them to bcc's tools.
public enum ErrnoNames {
    /// The name of errno `number`, nil when none has it.
    public static func name(of number: UInt64) -> String? {
        guard number < UInt64(table.count), table[Int(number)] != "-" else { return nil }
        return table[Int(number)]
    }

    /// The number of errno `name` ("EPERM" is 1), nil for an unknown name.
    public static func number(of name: String) -> Int? {
        guard name != "-" else { return nil }
        return table.firstIndex(of: name)
    }

    /// Names indexed by number, "-" for gaps.
    static let table: [String] = names.split(whereSeparator: \.isWhitespace).map(String.init)

    private static let names = """
        - EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT ENOTBLK
        EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE
        EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP - ENOMSG EIDRM
        ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR EXFULL ENOANO EBADRQC
        EBADSLT - EBFONT ENOSTR ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO
        EMULTIHOP EDOTDOT EBADMSG EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX
        ELIBEXEC EILSEQ ERESTART ESTRPIPE EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT
        EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL
        ENETDOWN ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN
        ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE EUCLEAN
        ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY EKEYEXPIRED
        EKEYREVOKED EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL EHWPOISON
        """
}
