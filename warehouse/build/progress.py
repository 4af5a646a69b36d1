"""A build's progress as a person reads it: one line per stage with the time since the build
started and the stage's own seconds, and a bar (or, off a terminal, a percentage now and then)
for stages that know their size. Fed by dbt's events (dbtRunner callbacks), so dbt's own
console log can stay quiet; dbt still writes its whole log to $WAVEHOUSE_HOME/build/logs/dbt.log.

The ML stages speak through wavehouse.ml: `stage` logs "<name>: started" / "<name>: done in <s>s", and
`progress` logs "progress <stage> <done>/<total> <detail>"."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from typing import TextIO

PROGRESS = re.compile(r"^progress (\S+) (\d+)/(\d+)\s*(.*)$")
DONE = re.compile(r"^(\S+): done in ([\d.]+)s$")
BAR_WIDTH = 24
QUIET_SECONDS = 15.0  # off a terminal: a stage's percentage at most this often


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """[#####-----] 50% for done of total (total > 0)."""
    share = min(max(done / total, 0.0), 1.0) if total else 1.0
    filled = int(round(share * width))
    return f"[{'#' * filled}{'-' * (width - filled)}] {share:4.0%}"


def clock(seconds: float) -> str:
    """Elapsed time as m:ss (h:mm:ss past an hour)."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class BuildProgress:
    """A dbtRunner callback printing the build's stages to `out` (stdout by default)."""

    def __init__(self, out: TextIO | None = None, tty: bool | None = None, now: Callable[[], float] = time.monotonic):
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.now = now
        self.started = now()
        self.tests_passed = self.tests_failed = 0
        self.open_bar = False
        self.last_percent: dict[str, float] = {}

    def line(self, text: str) -> None:
        if self.open_bar:  # a bar being redrawn on this line: end it first
            self.out.write("\r\033[K")
            self.open_bar = False
        self.out.write(f"[{clock(self.now() - self.started):>7}] {text}\n")
        self.out.flush()

    def progress(self, stage: str, done: int, total: int, detail: str) -> None:
        text = f"{stage:<28} {bar(done, total)} {detail}".rstrip()
        if self.tty:
            self.out.write(f"\r\033[K[{clock(self.now() - self.started):>7}] {text}")
            self.out.flush()
            self.open_bar = True
        elif done == total or self.now() - self.last_percent.get(stage, self.started) >= QUIET_SECONDS:
            self.last_percent[stage] = self.now()
            self.line(text)

    def done(self, stage: str, seconds: float, note: str = "") -> None:
        """A stage's line: its name and seconds."""
        self.line(f"{stage:<28} {seconds:7.1f} s{note}")

    def message(self, text: str) -> None:
        """One of ours (wavehouse.ml.log): stage ends and progress are shown; the rest is in dbt.log."""
        found = PROGRESS.match(text)
        if found:
            stage, done, total, detail = found.groups()
            self.progress(stage, int(done), int(total), detail)
            return
        found = DONE.match(text)
        if found:
            self.done(found.group(1), float(found.group(2)))
        elif text.startswith("config: "):
            self.line(text)

    def node(self, name: str, kind: str, status: str, seconds: float) -> None:
        if kind == "test" or kind == "unit_test":
            if status in ("pass", "success"):
                self.tests_passed += 1
            else:
                self.tests_failed += 1
                self.line(f"test {name}: {status}")
            return
        if kind in ("model", "seed", "snapshot") and status in ("success", "pass", "error", "fail"):
            self.done(name, seconds, "" if status in ("success", "pass") else f" {status.upper()}")

    def finished(self) -> str:
        """The tests' line."""
        failed = f", {self.tests_failed} failed" if self.tests_failed else ""
        return f"{self.tests_passed} dbt tests passed{failed}"

    def __call__(self, msg) -> None:
        try:
            name = msg.info.name
            data = msg.data
            if name == "AdapterEventInfo" and getattr(data, "name", "") == "wavehouse":
                self.message(data.base_msg % tuple(data.args) if data.args else data.base_msg)
            elif name == "JinjaLogInfo" and str(data.msg).startswith("wavehouse: "):
                self.line(str(data.msg)[len("wavehouse: ") :])  # what is read, and how its columns map
            elif name == "NodeFinished":
                info = data.node_info
                self.node(
                    info.node_name,
                    info.resource_type,
                    str(info.node_status).lower(),
                    float(data.run_result.execution_time or 0.0),
                )
        except Exception:  # progress must never break a build
            return
