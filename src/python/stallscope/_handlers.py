"""What was running when the loop blocked: an ASGI request (with the route pattern the framework
matched), else the asyncio task, else the loop callback.

Starlette's router stores the matched route in the request's scope (`scope["route"]`, whose
`path_format` is `/items/{item_id}`; FastAPI's APIRoute is one), and every ASGI frame on the stack
holds that scope dict as its `scope` local. Reading another thread's locals is only done for frames
whose code has such a local, and only when a stall is seen.
"""
import functools
import os
import sys

MAX_LABEL = 200


def _scope_of(frame):
    code = frame.f_code
    if "scope" in code.co_varnames:
        try:
            s = frame.f_locals.get("scope")
        except Exception:
            return None
        if isinstance(s, dict) and s.get("type") in ("http", "websocket"):
            return s
    if "request" in code.co_varnames:
        try:
            r = frame.f_locals.get("request")
            s = getattr(r, "scope", None)
        except Exception:
            return None
        if isinstance(s, dict) and s.get("type") in ("http", "websocket"):
            return s
    return None


def route_pattern(scope):
    route = scope.get("route")
    pattern = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(pattern, str):
        return None
    # Under a Mount the route's path is relative: the mount's part of root_path goes before it.
    root, app_root = scope.get("root_path") or "", scope.get("app_root_path") or ""
    if isinstance(root, str) and isinstance(app_root, str) and root.startswith(app_root) and root != app_root:
        pattern = root[len(app_root):] + pattern
    return pattern


def http_handler(scope):
    method = scope.get("method") if scope.get("type") == "http" else "WS"
    path = scope.get("path") if isinstance(scope.get("path"), str) else "/"
    route = route_pattern(scope)
    label = ("%s %s" % (method if isinstance(method, str) else "GET", route or path))[:MAX_LABEL]
    h = {"kind": "http", "label": label, "path": path[:1024]}
    if route:
        h["route"] = route[:1024]
    return h


def request_in(frames):
    """The innermost ASGI scope on a stack (innermost first) that a router has matched, else any."""
    first = None
    for f in frames:
        s = _scope_of(f)
        if s is None:
            continue
        if "route" in s or "endpoint" in s:
            return s
        if first is None:
            first = s
    return first


def _coro_frames(coro, limit=64):
    """The frames of a suspended coroutine chain, outermost first."""
    out = []
    while coro is not None and len(out) < limit:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        out.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return out


def task_scope(task):
    try:
        frames = _coro_frames(task.get_coro())
    except Exception:
        return None
    return request_in(reversed(frames))


def _endpoint_code(scope):
    return getattr(_unwrap(getattr(scope.get("route"), "endpoint", None) or scope.get("endpoint")), "__code__", None)


def all_tasks(loop):
    import asyncio

    for _ in range(3):
        try:
            return list(asyncio.all_tasks(loop))
        except RuntimeError:  # the task set changed while it was read
            continue
    return []


def request_running(loop, codes):
    """The request whose endpoint is one of `codes` (a worker thread's stack): for a `def` endpoint
    that runs in the threadpool, its scope lives in the task awaiting it on the loop."""
    for task in all_tasks(loop):
        s = task_scope(task)
        if s is not None and _endpoint_code(s) in codes:
            return s
    return None


def in_flight(loop, exclude, limit=1000):
    """Labels of the requests whose tasks are waiting on the loop (the stall held their next step)."""
    out = []
    for task in all_tasks(loop):
        s = task_scope(task)
        if s is not None and s is not exclude:
            out.append(http_handler(s)["label"])
            if len(out) >= limit:
                break
    return out


def task_handler(loop):
    import asyncio

    try:
        task = asyncio.current_task(loop)
    except Exception:
        task = None
    if task is None:
        return None
    try:
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", None) or task.get_name()
    except Exception:
        return None
    return {"kind": "task", "label": str(name)[:MAX_LABEL]}


def _unwrap(fn):
    for _ in range(8):
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        else:
            break
    return fn


def _module_routes(mod, filename):
    """(function name, handler) of each route the routers that module holds, whose endpoint is a
    function of `filename`."""
    for obj in list(vars(mod).values()):
        routes = getattr(obj, "routes", None)
        if not isinstance(routes, list):
            continue
        for r in routes:
            code = getattr(_unwrap(getattr(r, "endpoint", None)), "__code__", None)
            if code is None or os.path.abspath(code.co_filename) != filename:
                continue
            pattern = getattr(r, "path_format", None) or getattr(r, "path", None)
            if not isinstance(pattern, str):
                continue
            methods = sorted(getattr(r, "methods", None) or ())
            method = "GET" if "GET" in methods or not methods else methods[0]
            h = {"kind": "http", "label": ("%s %s" % (method, pattern))[:MAX_LABEL], "route": pattern[:1024]}
            if "{" not in pattern:
                h["path"] = pattern[:1024]  # no parameters: the only path it matches
            yield code.co_name, h


def route_of_function(filename, function):
    """The route whose endpoint is `function` of `filename`, from the routers that module holds:
    for a stall known only by a stack without locals (faulthandler's), when no look saw its scope."""
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if not f or os.path.abspath(f) != filename:
            continue
        for name, h in _module_routes(mod, filename):
            if name == function:
                return h
    return None


_user_modules = (-1, ())  # (len(sys.modules) when listed, [(module, its file)] of the user's)


def user_routes(is_user_file, limit=200):
    """{file: {function: handler}} of every route held by the user's own modules (the host labels
    a hang with it: see _hangfile). All modules are listed again only when their number changed."""
    global _user_modules
    if _user_modules[0] != len(sys.modules):
        mods = list(sys.modules.values())
        found = []
        for mod in mods:
            f = getattr(mod, "__file__", None)
            if isinstance(f, str) and is_user_file(f):
                found.append((mod, os.path.abspath(f)))
        _user_modules = (len(mods), found)
    out, n = {}, 0
    for mod, filename in _user_modules[1]:
        for name, h in _module_routes(mod, filename):
            out.setdefault(filename, {}).setdefault(name, h)
            n += 1
            if n >= limit:
                return out
    return out
