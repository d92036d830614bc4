"""The probe's options, read once from STALLSCOPE_OPTIONS (the same JSON the Node probe reads).

A malformed value never raises: it leaves the probe without a host (nothing to report to), which
makes it inert unless an in-process watch() asks for stalls.
"""
import json
import os

ENV = "STALLSCOPE_OPTIONS"
DEFAULT_THRESHOLD_MS = 50.0
MIN_THRESHOLD_MS = 10.0
MAX_THRESHOLD_MS = 60_000.0


def clamp_threshold(ms):
    if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms != ms:
        ms = DEFAULT_THRESHOLD_MS
    return float(min(MAX_THRESHOLD_MS, max(MIN_THRESHOLD_MS, ms)))


def heartbeat_for(threshold_ms, exact_idle):
    """Seconds between heartbeat ticks.

    With the pure-Python loop the idle time inside a gap is measured (see _heartbeat), so the
    period only bounds detection latency. uvloop gives no idle time: a stall's start is then known
    only to within one period, so it beats faster.
    """
    period = 10.0 if exact_idle else 4.0
    return min(period, max(2.0, threshold_ms / 5)) / 1000


class Options:
    __slots__ = ("url", "token", "session_id", "threshold_ms", "stacks", "lag_interval_ms", "gc", "enabled")

    def __init__(self, raw):
        o = {}
        try:
            parsed = json.loads(raw) if raw else {}
            if isinstance(parsed, dict):
                o = parsed
        except ValueError:
            o = {}
        url = o.get("url")
        self.url = url if isinstance(url, str) and url.startswith("ws://") else None
        token = o.get("token")
        self.token = token if isinstance(token, str) else ""
        sid = o.get("sessionId")
        self.session_id = sid if isinstance(sid, str) else None
        self.threshold_ms = clamp_threshold(o.get("thresholdMs"))
        self.stacks = o.get("stacks") is not False
        lag = o.get("lagIntervalMs")
        lag = lag if isinstance(lag, (int, float)) and not isinstance(lag, bool) else 100
        self.lag_interval_ms = float(min(10_000, max(20, lag)))
        self.gc = "always" if o.get("gc") == "always" else "on-demand"
        # `"enabled": false` lets a launcher keep the variable but switch the probe off.
        self.enabled = o.get("enabled") is not False


def from_env():
    """The options, or None when the variable is absent (the probe then does nothing by itself)."""
    raw = os.environ.get(ENV)
    if raw is None:
        return None
    return Options(raw)
