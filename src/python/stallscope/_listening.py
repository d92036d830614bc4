"""The TCP ports the process listens on, read from its own descriptors (Linux /proc/self/fd): any
server, no hook into it.

uvicorn binds in its server coroutine, after the loop started, and a `--workers`/`--reload` child
inherits the socket its parent bound; both show up as this process's open sockets, listening.

Each socket is asked itself (SO_ACCEPTCONN, getsockname), not looked up in /proc/net/tcp: the kernel
builds that table from every socket of the network namespace on each read, milliseconds of CPU even
when it lists a handful.
"""
import os
import socket
import struct

from . import _gilio

# The watchdog's thread scans, and each call that lets the GIL go hands it to a loop that may then run
# into a C call holding it, which the watchdog would wait out, missing its look (see _gilio). A
# process with up to this many descriptors is scanned keeping the GIL; one with more (a busy server)
# letting it go, which never holds its loops up for long.
_KEEP_GIL_FDS = 512

_known = None  # {socket inode: (address, port) it listens on, or None}, as of the last scan


def _address(raw):
    """(address, port) of a raw IPv4 or IPv6 struct sockaddr; an IPv4-mapped address as IPv4."""
    family = struct.unpack_from("=H", raw)[0]
    port = struct.unpack_from(">H", raw, 2)[0]
    if family == socket.AF_INET:
        return socket.inet_ntop(socket.AF_INET, raw[4:8]), port
    if family == socket.AF_INET6:
        addr = raw[8:24]
        if addr[:12] == b"\0" * 10 + b"\xff\xff":
            return socket.inet_ntop(socket.AF_INET, addr[12:]), port
        return socket.inet_ntop(socket.AF_INET6, addr), port
    return None


def _listens_on(fd, keep_gil):
    """(address, port) a TCP socket descriptor listens on, else None."""
    if keep_gil:
        if not _gilio.sockopt_int(fd, socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            return None
        if _gilio.sockopt_int(fd, socket.SOL_SOCKET, socket.SO_PROTOCOL) != socket.IPPROTO_TCP:
            return None
        return _address(_gilio.sockname(fd))
    s = socket.socket(fileno=os.dup(fd))  # a duplicate: closing it leaves the program's socket open
    try:
        if not s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) or s.proto != socket.IPPROTO_TCP:
            return None
        if s.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        host, port = s.getsockname()[:2]
        if host.startswith("::ffff:") and "." in host:
            host = host[7:]
        return host, port
    finally:
        s.close()


def listening(force=False):
    """[(address, port)] of this process's listening TCP sockets; None when its sockets are the
    same as at the last call. A socket seen before is asked again only with `force`: a socket bound
    before it listens is the same socket once it does, as in a uvicorn `--workers` child, which calls
    listen() on the socket its parent bound only when its server starts."""
    global _known
    try:
        fds = _gilio.listdir("/proc/self/fd")
    except OSError:
        return None
    keep_gil = len(fds) <= _KEEP_GIL_FDS and _gilio.available()
    link_of = _gilio.readlink if keep_gil else os.readlink
    known = _known or {}
    now = {}
    for name in fds:
        try:
            link = link_of("/proc/self/fd/" + name)
        except OSError:
            continue  # closed since (among them the listing's own descriptor)
        if not link.startswith("socket:["):
            continue
        inode = link[8:-1]
        if inode in now:
            continue
        if inode in known and not force:
            now[inode] = known[inode]
            continue
        try:
            now[inode] = _listens_on(int(name), keep_gil)
        except (OSError, ValueError, struct.error):
            now[inode] = None
    if now == _known and not force:
        return None
    _known = now
    return [a for a in now.values() if a is not None]


def forget():
    """A forked child reports its listening sockets afresh, with its own pid."""
    global _known
    _known = None
