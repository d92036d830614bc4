"""Reads and writes that keep the GIL, for the watchdog's thread: every call that lets it go hands
the GIL to a loop's thread, which may then run into a C call holding it, and the watchdog waits for
that call to end before it goes on (its next look, its next wake-up). Only for calls that never
block and stay short: a read of /proc or of a small temporary file, a byte to a non-blocking socket.
Where ctypes is missing, the os calls stand in.
"""
import os

_libc = None


def _load():
    global _libc
    if _libc is None:
        try:
            import ctypes

            lib = ctypes.PyDLL(None, use_errno=True)  # PyDLL: the GIL is kept across the call
            lib.pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_longlong]
            lib.pread.restype = ctypes.c_ssize_t
            lib.write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
            lib.write.restype = ctypes.c_ssize_t
            lib.ftruncate.argtypes = [ctypes.c_int, ctypes.c_longlong]
            lib.lseek.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_int]
            lib.lseek.restype = ctypes.c_longlong
            lib.open.argtypes = [ctypes.c_char_p, ctypes.c_int]
            lib.close.argtypes = [ctypes.c_int]
            lib.readlink.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
            lib.readlink.restype = ctypes.c_ssize_t
            lib.getsockopt.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
            lib.getsockname.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
            try:
                lib.getdents64.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
                lib.getdents64.restype = ctypes.c_ssize_t
            except AttributeError:
                pass  # glibc before 2.30, musl: listdir lets the GIL go
            _libc = (ctypes, lib, ctypes.create_string_buffer(128))
        except Exception:
            _libc = False
    return _libc


def pread(fd, n, offset=0):
    """Up to n bytes from `offset` of fd (a /proc file, a small file)."""
    lib = _load()
    if not lib:
        return os.pread(fd, n, offset)
    ctypes, c, buf = lib
    if n > len(buf):
        buf = ctypes.create_string_buffer(n)
    got = c.pread(fd, buf, n, offset)
    if got < 0:
        raise OSError(ctypes.get_errno(), "pread")
    return buf.raw[:got]


def write(fd, data):
    """Writes bytes to a non-blocking fd; OSError if it would block (the reader is behind)."""
    lib = _load()
    if not lib:
        return os.write(fd, data)
    ctypes, c, _buf = lib
    got = c.write(fd, data, len(data))
    if got < 0:
        raise OSError(ctypes.get_errno(), "write")
    return got


def read_all(fd, chunk=65536, offset=0):
    """The whole of a small file, from `offset`."""
    parts = []
    while True:
        part = pread(fd, chunk, offset)
        parts.append(part)
        offset += len(part)
        if len(part) < chunk:
            return b"".join(parts)


def empty(fd, keep=0):
    """Truncates a file to its first `keep` bytes, and writes go on from there."""
    lib = _load()
    if not lib:
        os.ftruncate(fd, keep)
        os.lseek(fd, keep, os.SEEK_SET)
        return
    ctypes, c, _buf = lib
    if c.ftruncate(fd, keep) < 0 or c.lseek(fd, keep, os.SEEK_SET) < 0:
        raise OSError(ctypes.get_errno(), "ftruncate")


def _open(path, flags):
    ctypes, c, _buf = _libc
    fd = c.open(os.fsencode(path), flags | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "open", path)
    return fd


def listdir(path):
    """The names in a directory of /proc (no "." or ".."), as os.listdir."""
    lib = _load()
    if not lib or not hasattr(lib[1], "getdents64"):
        return os.listdir(path)
    import struct

    ctypes, c, _buf = lib
    fd = _open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        buf = ctypes.create_string_buffer(32768)
        names = []
        while True:
            got = c.getdents64(fd, buf, len(buf))
            if got < 0:
                raise OSError(ctypes.get_errno(), "getdents64", path)
            if got == 0:
                break
            raw, at = buf.raw[:got], 0
            while at < got:
                # struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, the name (NUL-ended).
                reclen = struct.unpack_from("=H", raw, at + 16)[0]
                name = raw[at + 19:at + reclen].split(b"\0", 1)[0]
                if name not in (b".", b".."):
                    names.append(os.fsdecode(name))
                at += reclen
        return names
    finally:
        c.close(fd)


def readlink(path):
    """Where a symbolic link of /proc points (a descriptor's "socket:[inode]"), as os.readlink."""
    lib = _load()
    if not lib:
        return os.readlink(path)
    ctypes, c, _buf = lib
    buf = ctypes.create_string_buffer(4096)
    got = c.readlink(os.fsencode(path), buf, len(buf))
    if got < 0:
        raise OSError(ctypes.get_errno(), "readlink", path)
    return os.fsdecode(buf.raw[:got])


def available():
    """Whether the calls here keep the GIL (ctypes loaded); else they are the os calls."""
    return bool(_load())


def sockopt_int(fd, level, option):
    """An int socket option of a descriptor (getsockopt). Needs available()."""
    ctypes, c, _buf = _load()
    value, size = ctypes.c_int(0), ctypes.c_uint(ctypes.sizeof(ctypes.c_int))
    if c.getsockopt(fd, level, option, ctypes.byref(value), ctypes.byref(size)) < 0:
        raise OSError(ctypes.get_errno(), "getsockopt")
    return value.value


def sockname(fd):
    """The raw struct sockaddr a socket descriptor is bound to (getsockname). Needs available()."""
    ctypes, c, _buf = _load()
    buf, size = ctypes.create_string_buffer(128), ctypes.c_uint(128)
    if c.getsockname(fd, buf, ctypes.byref(size)) < 0:
        raise OSError(ctypes.get_errno(), "getsockname")
    return buf.raw[:size.value]
