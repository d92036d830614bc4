"""The TCP ports the process listens on, read from /proc (Linux): any server, no hook into it.

uvicorn binds in its server coroutine, after the loop started, and a `--workers`/`--reload` child
inherits the socket its parent bound; both show up as this process's open sockets in LISTEN state.
"""
import os

_LISTEN = "0A"


def _socket_inodes():
    out = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return out
    for fd in fds:
        try:
            link = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            out.add(link[8:-1])
    return out


def _addr(hex_addr, v6):
    if not v6:
        b = bytes.fromhex(hex_addr)[::-1]
        return ".".join(str(x) for x in b)
    raw = bytes.fromhex(hex_addr)
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    b = b"".join(words)
    if b[:12] == b"\0" * 10 + b"\xff\xff":
        return ".".join(str(x) for x in b[12:])
    import ipaddress

    return str(ipaddress.IPv6Address(b))


_last_inodes = None


def listening(force=False):
    """[(address, port)] of this process's listening TCP sockets; None when its sockets are the
    same as at the last call (the socket tables, which the kernel builds for the whole network
    namespace on each read, are only read when a socket came or went, or with `force`: a socket
    bound before it listens is the same socket once it does, as in a uvicorn `--workers` child,
    which calls listen() on the socket its parent bound only when its server starts)."""
    global _last_inodes
    inodes = _socket_inodes()
    if inodes == _last_inodes and not force:
        return None
    _last_inodes = inodes
    if not inodes:
        return []
    out = []
    for name, v6 in (("/proc/self/net/tcp", False), ("/proc/self/net/tcp6", True)):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) < 10 or cols[3] != _LISTEN or cols[9] not in inodes:
                continue
            host, _, port = cols[1].partition(":")
            try:
                out.append((_addr(host, v6), int(port, 16)))
            except ValueError:
                continue
    return out


def forget():
    """A forked child reports its listening sockets afresh, with its own pid."""
    global _last_inodes
    _last_inodes = None
