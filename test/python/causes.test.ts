/**
 * The Python probe's pure rules, run in the pinned interpreter: which line of a thread that starved
 * the loop of the GIL is its culprit.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, VENV_PYTHON, ensurePythonTools } from './probeHarness';

function python(code: string): string {
  const r = spawnSync(VENV_PYTHON, ['-c', code], { cwd: path.join(ROOT, 'dist', 'python'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

before(() => ensurePythonTools());

/**
 * Python for a thread that counts while it holds the GIL: `ran(fn)` says whether 20 calls let it in,
 * in each of 6 tries (on a loaded machine a try may last past the switch interval, and the GIL is
 * then handed over whatever the calls do; one try in which it never ran is proof enough).
 * `ever_ran(fn)`, for the control: in one try at least, trying for up to 3 s (on a loaded machine the
 * OS may not run the thread waiting for the GIL during a short try, whatever the calls do: a clean-clone
 * CI once saw six tries in a row where os.pread let nothing in).
 */
const SPINNER = `
import sys, threading, time
n = [0]
def spin():
    while True: n[0] += 1
threading.Thread(target=spin, daemon=True).start()
time.sleep(0.02)
sys.setswitchinterval(0.05)
def ran_once(fn):
    before = n[0]
    for _ in range(20): fn()
    return n[0] != before
def ran(fn):
    return all(ran_once(fn) for _ in range(6))
def ever_ran(fn):
    end = time.monotonic() + 3
    while time.monotonic() < end:
        if ran_once(fn): return True
    return False
`;

test('a thread that starved the loop is blamed on the line most looks found it on, not the one it ended on', () => {
  const out = python(`
from stallscope import _causes
class Look:
    def __init__(self, line):
        self.others = {7: (7, [], None if line is None else {"file": "app.py", "line": line}, set(), None, None)}
looks = [Look(88), Look(89), Look(88), Look(90)]
print(_causes.seen_most(looks, 7)[2]["line"])
print(_causes.seen_most([Look(89), Look(88)], 7)[2]["line"])
print(_causes.seen_most([Look(None), Look(None), Look(88)], 7)[2]["line"])
print(_causes.seen_most(looks, 8))
`);
  assert.deepEqual(out.split('\n'), ['88', '88', '88', 'None'], 'most seen; a tie goes to the latest look; a look with a line beats looks without; an unseen thread is None');
});

test('a loop thread seen on the CPU while the GIL was held is a C call only by most looks that could tell, one of them quick', () => {
  const out = python(`
from stallscope import _causes
class Look:
    def __init__(self, t, told, late, cpu):
        self.t, self.late, self.os_wait, self.in_call, self.cpu = t, late, 0.0, True, cpu
        self.ran_without_gil = told
        self.others = {}
def cause(*looks):
    looks = [Look(0.06 + 0.02 * i, told, late, 1.0 + 0.018 * i) for i, (told, late) in enumerate(looks)]
    c = _causes.classify(looks, 0.0, 0.2)
    return c["kind"] + ("" if "holdsGil" not in c else "/gil" if c["holdsGil"] else "/nogil")
slow, quick = 0.0053, 0.0004
print(cause((True, slow), (False, slow), (False, quick), (None, slow)))
print(cause((True, slow), (True, quick), (None, slow), (None, slow)))
print(cause((True, slow), (True, slow), (True, slow)))
print(cause((None, quick), (True, slow), (None, slow)))
print(cause((None, slow), (None, slow), (None, slow)))
`);
  // Python code keeps the GIL a switch interval at every look (5.3 ms late) and uses the CPU between looks.
  assert.deepEqual(out.split('\n'), ['python', 'native/nogil', 'python', 'native/nogil', 'python'],
    'one look charged CPU among looks that saw none is Python; most looks seeing it run, one getting the GIL at once, is a C call without the GIL; every look waiting a switch interval is Python; no answer is no evidence');
});

test('a look before the turn became a stall tells its cause only where it can: between instructions, asleep in a call since, or a full switch interval late', () => {
  const out = python(`
from stallscope import _causes
class Look:
    def __init__(self, in_call, late, cpu):
        self.t, self.late, self.os_wait, self.in_call, self.cpu = 0.035, late, 0.0, in_call, cpu
def cause(in_call, late, cpu_at_end, end=0.06):
    c = _causes.early_cause(Look(in_call, late, 1.0), cpu_at_end, end)
    return "none" if c is None else c["kind"] + ("" if "holdsGil" not in c else "/gil" if c["holdsGil"] else "/nogil")
print(cause(False, 0.0004, 1.025))
print(cause(True, 0.0004, 1.0002))
print(cause(True, 0.0053, 1.025))
print(cause(True, 0.0004, 1.025))
print(cause(True, 0.0004, None))
print(cause(True, 0.0004, 1.0, end=0.037))
`);
  assert.deepEqual(out.split('\n'), ['python', 'native/nogil', 'python', 'none', 'none', 'none'],
    'seen between instructions is Python; at a call and without CPU since is a C call that let the GIL go; at a call on the CPU after a switch interval is Python; a quick look on the CPU, an unreadable clock or too short a span tell nothing');
});

test("the watchdog's own I/O keeps the GIL (faulthandler armed by descriptor, /proc and dump reads, the writer's wake-up): a loop thread waiting on the instruction after a C call cannot run on before the look", () => {
  const out = python(`
import faulthandler, os, socket, tempfile
from stallscope import _gilio
${SPINNER}
f = tempfile.TemporaryFile(); fd = f.fileno()
a, b = socket.socketpair(); a.setblocking(False)
stat = os.open("/proc/self/stat", os.O_RDONLY)
def dump_cycle():
    faulthandler.dump_traceback_later(5, file=fd); faulthandler.cancel_dump_traceback_later()
os.write(fd, b"Timeout (0:00:05)!")
assert _gilio.read_all(fd) == b"Timeout (0:00:05)!"  # (and ctypes is loaded, once)
_gilio.empty(fd)
os.write(fd, b"x")
assert _gilio.read_all(fd) == b"x", "written again from the start"
def file_cycle():
    _gilio.read_all(fd); _gilio.empty(fd)
print(ran(dump_cycle), ran(lambda: _gilio.pread(stat, 128)), ran(file_cycle), ran(lambda: _gilio.write(a.fileno(), b"x")))
print(ever_ran(lambda: os.pread(stat, 128, 0)))
`);
  const [ours, control] = out.split('\n');
  assert.equal(ours, 'False False False False', 'none of the watchdog\'s calls lets the spinning thread run');
  assert.equal(control, 'True', 'os.pread does: the test can tell');
});

test("faulthandler's timer is kept across wake-ups while it still falls due MARGIN..MARGIN+SLACK after the planned one, re-armed once it would not, and still fires", () => {
  const out = python(`
import faulthandler, time
from stallscope import _gilfree
starts = []
real = faulthandler.dump_traceback_later
def counted(*a, **k):
    starts.append(a[0]); return real(*a, **k)
faulthandler.dump_traceback_later = counted
class Clock:  # the module's clock, stepped by hand: wake-ups exactly 35 ms apart
    now = 1000.0
    def monotonic(self): return self.now
clock = _gilfree.time = Clock()
d = _gilfree.GilFreeDump()
inside = True
for _ in range(20):
    d.arm(0.035)
    due = clock.now + 0.035 + _gilfree.MARGIN
    inside = inside and due <= d.deadline <= due + _gilfree.SLACK + 1e-9
    clock.now += 0.035
print(inside, 2 <= len(starts) <= 10)
n = len(starts)
d.arm(0.9)  # a wake-up past the window: the timer would fire before the watchdog is MARGIN late
print(len(starts) == n + 1, d.deadline >= clock.now + 0.9 + _gilfree.MARGIN)
d.cancel()
_gilfree.time = time
d.arm(0.0)
time.sleep(_gilfree.MARGIN + _gilfree.SLACK + 0.1)
d.cancel()
print(d.take() != {})
`);
  assert.deepEqual(out.split('\n'), ['True True', 'True True', 'True'],
    'every timer falls due in its window after the planned wake-up, and 20 wake-ups 35 ms apart start 2 to 10 of them, not 20; a later wake-up re-arms; a timer left to run out dumps the stacks');
});

test("the ports a process listens on come from its own sockets, asked keeping the GIL (a scan never lets a loop start a C call the watchdog must wait out)", () => {
  const out = python(`
import socket
from stallscope import _listening
v4 = socket.socket(); v4.bind(("127.0.0.1", 0)); v4.listen()
v6 = socket.socket(socket.AF_INET6); v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); v6.bind(("::", 0)); v6.listen()
later = socket.socket(); later.bind(("127.0.0.1", 0))  # bound, listening only later (a --workers child)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
unix = socket.socket(socket.AF_UNIX); unix.bind("\\0stallscope-test-%d" % id(unix)); unix.listen()
want = sorted([("127.0.0.1", v4.getsockname()[1]), ("::", v6.getsockname()[1])])
print(sorted(_listening.listening()) == want, _listening.listening())
later.listen()
print(_listening.listening(), sorted(_listening.listening(force=True)) == sorted(want + [("127.0.0.1", later.getsockname()[1])]))
keep = _listening._KEEP_GIL_FDS
_listening._KEEP_GIL_FDS = 0; _listening.forget()
print(sorted(_listening.listening()) == sorted(want + [("127.0.0.1", later.getsockname()[1])]))
_listening._KEEP_GIL_FDS = keep
${SPINNER}
print(not ran(lambda: _listening.listening(force=True)))
`);
  assert.deepEqual(out.split('\n'), ['True None', 'None True', 'True', 'True'],
    'TCP listeners on IPv4 and dual-stack IPv6, not UDP, a unix socket or a socket only bound; nothing new is None; a socket that listens later is found when asked again (force); the same with the os calls past the descriptor cap; the scan lets no other thread run');
});

test("a turn that runs one request's block and then another's is told on the first's line with its own request, not the second's", () => {
  const out = python(`
from stallscope import _sampling, _watchdog
class Core:
    pid = 1
    def epoch(self, t): return t * 1000
class Monitor:
    thread = {"id": 0}; gilfree = None; ident = 1; loop = None; core = Core()
def look(t, cpu, line, scope, in_call):
    s = _sampling.Sample()
    s.t, s.late, s.cpu, s.idle, s.paused, s.in_call, s.os_wait = t, 0.0005, cpu, False, False, in_call, 0.0
    s.frames = [{"file": "/app/app.py", "line": line, "function": "f%d" % line}] if line else [{"file": "/venv/site-packages/fastapi/encoders.py", "line": 9, "function": "jsonable_encoder"}]
    s.culprit = s.frames[0] if line else None
    s.scope, s.task, s.api, s.others = scope, None, "time.sleep" if in_call else None, {}
    return s
orders = {"type": "http", "method": "GET", "path": "/orders/7", "route": "/orders/{order_id}"}
export = {"type": "http", "method": "GET", "path": "/export", "route": "/export"}
wd = _watchdog.Watchdog(Core())
st = _watchdog.OpenStall(Monitor(), 1, 0.05, 0.0)
st.early = look(0.035, 1.000, 19, None, True)  # asleep in time.sleep on line 19; its request not found
# Still asleep at the next look (1 ms of CPU in 25), then the next request's serialization on the CPU.
st.samples = [look(0.06, 1.001, 0, export, False), look(0.08, 1.021, 0, export, False)]
st.cpu_at_end = 1.041
s = wd._build(st, 0.0, 0.1, end=0.1)
print(s["culprit"]["line"], s["handler"], s.get("cause"))
`);
  assert.deepEqual(out.split('\n'), ['19 None {\'kind\': \'native\', \'holdsGil\': False, \'api\': \'time.sleep\'}'],
    'line 19, not labelled GET /export (the second request), and the sleep told from the span up to the next look, not from the serialization\'s CPU after it');
});

test("the look taken on waking late is kept for its turn's stall when that stall is told only at a later wake-up", () => {
  const out = python(`
from stallscope import _sampling, _watchdog
told = []
class Core:
    pid = 1; threshold_ms = 50; monitors = {}
    def epoch(self, t): return t * 1000
    def stall(self, s, force=False): told.append(s)
class Monitor:
    thread = {"id": 0}; gilfree = None; ident = 7; loop = None; core = Core(); stall = None; early = None; exact = True; bases = ()
look = _sampling.Sample()
look.t, look.late, look.cpu, look.idle, look.paused, look.in_call, look.os_wait = 0.11, 0.07, 1.0, False, False, False, 0.0
look.frames = [{"file": "/app/app.py", "line": 13, "function": "regex"}]
look.culprit, look.scope, look.task, look.api, look.others = look.frames[0], None, None, None, {}
wd = _watchdog.Watchdog(Core())
wd.first_looks[7] = (0.0, look)   # taken of the turn after the tick at 0.0; that wake told an earlier stall
wd._finish(Monitor(), 0.111, 0.11, 0.1, 0.0)   # the turn's end, told at the next wake-up
print(told[0]["culprit"]["line"] if told and told[0]["culprit"] else None, wd.first_looks)
`);
  assert.equal(out, '13 {}', 'the stall is told on the line the look saw, and the look is used once');
});

test('the call named in a cause is the one under way on its line, not a call in its arguments (3.11+: the callee starts where the call does)', () => {
  const out = python(`
import dis
from stallscope import _causes
src = '''def f(p, obj, data):
    m = re.match(p, os.environ.get("X"))
    t = json.dumps(obj.to_dict())
    h = hashlib.sha256(data.encode()).hexdigest()
    time.sleep(0.1)
'''
ns = {}
exec(compile(src, "app.py", "exec"), ns)
code = ns["f"].__code__
calls = {}
for ins in dis.get_instructions(code):
    if ins.opname == "CALL":
        calls.setdefault(ins.positions.lineno, []).append(ins.offset)
# On each line: the outer call (re.match's arguments are evaluated before it is called), and for
# line 4 the first call, sha256, whose own argument is data.encode().
picks = {2: -1, 3: -1, 4: 1, 5: -1}
print(" ".join(_causes.call_name(code, calls[ln][i], ln) for ln, i in picks.items()))
# A live frame inside a call, as a look sees it (its f_lasti is past the CALL, on its inline caches).
import os, sys, types
helper = types.SimpleNamespace(grab=lambda *a: (sys._getframe(1).f_lasti, sys._getframe(1).f_lineno, sys._getframe(1).f_code))
def g():
    return helper.grab(os.environ.get("X", "1"))
lasti, line, gcode = g()
print(_causes.call_name(gcode, lasti, line))
`);
  assert.deepEqual(out.split('\n'), ['re.match json.dumps hashlib.sha256 time.sleep', 'helper.grab']);
});
