"""A report of 10,000-task runs: its size, the time to write it, the time to open it in Chromium.

The issue's bar: a report of a 10,000-task run stays under 10 MB and opens (every plot drawn,
the task browser's first page shown, no console error) in under 2 s in a browser.

1. **The runs.** A demo-like suite of ``--tasks`` tasks: the demo suite's tasks cycled, each
   copy with its own id and — the string table's worst case — its own instruction and its
   own history instructions (nothing is shared between copies but tool names and arguments).
   It is written as a suite directory and run with the ``random`` backend (seed 0 and 1) and
   the ``oracle``: three ordinary run directories (``--runs`` takes fewer).
2. **The report.** ``write_report`` of those runs (with ``data=`` the suite directory, so
   the task browser has every task's text): size and wall time.
3. **Opening it.** Headless Chromium driven over the DevTools protocol on a pipe
   (``--remote-debugging-pipe``, no extra package): a fresh tab navigates to the file; the
   time is taken when the page has written ``#report-status`` (all charts settled, then the
   next animation frame), both as the page's own ``performance.now()`` (ms since navigation
   start) and as the wall time from ``Page.navigate``. Every uncaught exception, console
   error and log error is collected. ``--repeat`` loads (the first is the cold one).

Usage::

    python benchmarks/report_scale.py [--tasks 10000] [--runs 3] [--repeat 5]
        [--work DIR] [--json results.json]

Exit status 1 when a bar is missed (size >= 10 MB, the median load >= 2 s, a chart not
drawn, or a console error).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE_BAR = 10_000_000
TIME_BAR_S = 2.0


def build_suite(n_tasks: int, out: Path) -> Path:
    """The demo suite's tasks cycled to ``n_tasks``, every copy's text its own."""
    from petool.suites.directory import export_suite_dir
    from petool.suites.registry import load_suite

    demo = load_suite("demo")
    base = [t for t in demo.tasks if t.meta.split == "test"] or list(demo.tasks)
    tasks = []
    for i in range(n_tasks):
        task = base[i % len(base)]
        copy = i // len(base)
        history = [
            x.model_copy(update={"instruction": f"{x.instruction} (case {copy}.{i}.{j})"})
            for j, x in enumerate(task.user.history)
        ]
        tasks.append(
            task.model_copy(
                update={
                    "id": f"{task.id}-c{copy}",
                    "instruction": f"{task.instruction} (case {copy}.{i})",
                    "user": task.user.model_copy(update={"history": history}),
                }
            )
        )
    info = demo.info.model_copy(update={"name": f"demo-{n_tasks}"})
    suite = demo.model_copy(update={"info": info, "tasks": tasks})
    return export_suite_dir(suite, out)


def run_backends(suite_dir: Path, work: Path, n_runs: int) -> list[Path]:
    """random (seed 0), oracle, random (seed 1): ordinary run directories, resumed if there."""
    from petool.backends.registry import make_backend
    from petool.run import evaluate
    from petool.suites.registry import load_suite

    suite = load_suite(suite_dir)
    plan = [("random", 0), ("oracle", 0), ("random", 1)][:n_runs]
    dirs = []
    for backend, seed in plan:
        out = work / f"run-{backend}-{seed}"
        start = time.perf_counter()
        evaluate(
            suite,
            make_backend(backend, seed=seed),
            out_dir=out,
            backend_spec=backend,
            seed=seed,
            resume=out.exists(),
        )
        print(f"run {out.name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
        dirs.append(out)
    return dirs


class Chromium:
    """Headless Chromium spoken to over ``--remote-debugging-pipe`` (NUL-separated JSON)."""

    def __init__(self, binary: str, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds() -> None:  # the child reads commands on fd 3 and writes replies on fd 4
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, pass_fds=(3, 4),
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buf:
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return dict(json.loads(msg))

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _errors(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.append(str(details.get("exception", {}).get("description") or details))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            out.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.append(str(params["entry"].get("text")))
    return out


def open_report(chrome: Chromium, path: Path, timeout: float = 60.0) -> dict[str, Any]:
    """Load the report in a fresh tab; time it, count drawn charts, collect errors."""
    target = chrome.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = chrome.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    for domain in ("Runtime", "Log", "Page"):
        chrome.send(f"{domain}.enable", session=session)
    chrome.send("Emulation.setDeviceMetricsOverride",
                {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
                session=session)  # fmt: skip
    chrome.events.clear()
    start = time.perf_counter()
    chrome.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
    probe = "(document.getElementById('report-status')||{}).textContent||''"
    status = ""
    while not status:
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"{path}: the page did not finish in {timeout} s")
        result = chrome.send("Runtime.evaluate", {"expression": probe, "returnByValue": True},
                             session=session)  # fmt: skip
        status = result.get("result", {}).get("value") or ""
        if not status:
            time.sleep(0.01)
    wall = time.perf_counter() - start
    drawn = chrome.send(
        "Runtime.evaluate",
        {"expression": "[document.querySelectorAll('.chart').length,"
                       "document.querySelectorAll('.chart > svg, .chart svg.marks').length,"
                       "document.querySelectorAll('#tasks details').length,"
                       "document.getElementById('page-info').textContent]",
         "returnByValue": True},
        session=session,
    )["result"]["value"]  # fmt: skip
    state = json.loads(status)
    errors = _errors(chrome.events) + list(state.get("errors", []))
    chrome.send("Target.closeTarget", {"targetId": target})
    return {
        "page_ms": state.get("ms"),
        "wall_s": round(wall, 3),
        "charts": state.get("charts"),
        "rendered": state.get("rendered"),
        "chart_divs": drawn[0],
        "svgs": drawn[1],
        "tasks_shown": drawn[2],
        "page_info": drawn[3],
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None, help="keep the suite and runs here")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    from petool.report.html import write_report

    work = args.work or Path(tempfile.mkdtemp(prefix="report-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    suite_dir = work / "suite"
    start = time.perf_counter()
    if not (suite_dir / "suite.json").is_file():
        build_suite(args.tasks, suite_dir)
    print(f"suite: {args.tasks} tasks, {time.perf_counter() - start:.1f} s", file=sys.stderr)
    runs = run_backends(suite_dir, work, args.runs)
    report = work / "report.html"
    written = write_report(runs, report, data=suite_dir, overwrite=True)
    print(f"report: {written.size_bytes / 1e6:.2f} MB in {written.seconds:.1f} s", file=sys.stderr)
    loads = []
    with tempfile.TemporaryDirectory() as profile:
        chrome = Chromium(binary, Path(profile))
        try:
            for i in range(args.repeat):
                loads.append(open_report(chrome, report))
                print(f"load {i}: {loads[-1]}", file=sys.stderr)
        finally:
            chrome.close()
    page = [x["page_ms"] / 1000 for x in loads]
    wall = [x["wall_s"] for x in loads]
    out = {
        "tasks": args.tasks,
        "runs": [r.name for r in runs],
        "rows": written.n_tasks,
        "size_bytes": written.size_bytes,
        "write_s": round(written.seconds, 2),
        "load_page_s": {"first": page[0], "median": statistics.median(page), "max": max(page)},
        "load_wall_s": {"first": wall[0], "median": statistics.median(wall), "max": max(wall)},
        "loads": loads,
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "report": str(report),
    }
    ok = (
        written.size_bytes < SIZE_BAR
        and statistics.median(page) < TIME_BAR_S
        and all(x["errors"] == [] and x["rendered"] == x["charts"] == x["svgs"] for x in loads)
        and all(x["tasks_shown"] > 0 for x in loads)
    )
    out["ok"] = ok
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
