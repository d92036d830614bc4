"""Reads and writes that keep the GIL, for the watchdog's thread: every call that lets it go hands
the GIL to a loop's thread, which may then run into a C call holding it, and the watchdog waits for
that call to end before it goes on (its next look, its next wake-up). Only for calls that never
block: a read of /proc or of a small temporary file, a byte to a non-blocking socket. Where ctypes is
missing, the os calls stand in.
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


def read_all(fd, chunk=65536):
    """The whole of a small file, from its start."""
    parts, offset = [], 0
    while True:
        part = pread(fd, chunk, offset)
        parts.append(part)
        offset += len(part)
        if len(part) < chunk:
            return b"".join(parts)


def empty(fd):
    """Truncates a file to nothing, and writes go to its start again."""
    lib = _load()
    if not lib:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        return
    ctypes, c, _buf = lib
    if c.ftruncate(fd, 0) < 0 or c.lseek(fd, 0, os.SEEK_SET) < 0:
        raise OSError(ctypes.get_errno(), "ftruncate")
