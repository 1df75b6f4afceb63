"""Hostile and malformed inputs through the CLI, as a stranger's files would arrive.

Every case runs ``petool`` in a subprocess and must end with exit code 2, exactly one line on
stderr, no traceback, and nothing written outside the run directory (which a refused run does
not create). A second set checks that valid edge cases still run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from petool_test_support import PLUGINS, make_tiny_suite

from petool.suites.directory import export_suite_dir

Case = Callable[[Path], list[str]]  # builds its inputs under tmp and returns the CLI args


def _suite(tmp: Path) -> Path:
    return export_suite_dir(make_tiny_suite(6), tmp / "suite")


def _eval(suite_dir: Path, *extra: str) -> list[str]:
    out = str(suite_dir.parent / "run")
    return ["eval", "--suite", str(suite_dir), "--backend", "oracle", "--out", out, *extra]


def _edit_info(change: Callable[[dict], object]) -> Case:
    def case(tmp: Path) -> list[str]:
        root = _suite(tmp)
        info = json.loads((root / "suite.json").read_text())
        replaced = change(info)
        text = replaced if isinstance(replaced, str) else json.dumps(info)
        (root / "suite.json").write_text(text)
        return _eval(root)

    return case


def _edit_task(change: Callable[[dict], object], line: int = 0) -> Case:
    def case(tmp: Path) -> list[str]:
        root = _suite(tmp)
        lines = (root / "tasks.jsonl").read_text().splitlines()
        task = json.loads(lines[line])
        replaced = change(task)
        lines[line] = replaced if isinstance(replaced, str) else json.dumps(task)
        (root / "tasks.jsonl").write_text("\n".join(lines) + "\n")
        return _eval(root)

    return case


def _raw_file(name: str, content: bytes, append: bool = True) -> Case:
    def case(tmp: Path) -> list[str]:
        root = _suite(tmp)
        old = (root / name).read_bytes() if append else b""
        (root / name).write_bytes(old + content)
        return _eval(root)

    return case


def _set(key: str, value: object) -> Callable[[dict], None]:
    def change(obj: dict) -> None:
        node = obj
        *path, last = key.split(".")
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _deep(n: int) -> object:
    return json.loads("[" * n + "]" * n) if n < 500 else "DEEP"


def _special(kind: str) -> Case:
    def case(tmp: Path) -> list[str]:
        root = _suite(tmp)
        tasks = root / "tasks.jsonl"
        if kind == "fifo":
            tasks.unlink()
            os.mkfifo(tasks)
        elif kind == "dir":
            tasks.unlink()
            tasks.mkdir()
        elif kind == "missing":
            tasks.unlink()
        return _eval(root)

    return case


def _options(*extra: str) -> Case:
    return lambda tmp: _eval(_suite(tmp), *extra)


def _openai(*extra: str) -> Case:
    def case(tmp: Path) -> list[str]:
        args = _eval(_suite(tmp), "--base-url", "http://127.0.0.1:9/v1", "--api-key", "sk-x")
        args[args.index("oracle")] = "openai:m"
        return [*args, *extra]

    return case


def _predictions(
    lines: list[bytes] | None = None, config: dict | None = None, kind: str = ""
) -> Case:
    def case(tmp: Path) -> list[str]:
        root = _suite(tmp)
        run = tmp / "scored"
        run.mkdir()
        path = run / "predictions.jsonl"
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "dir":
            path.mkdir()
        else:
            path.write_bytes(b"".join(line + b"\n" for line in lines or []))
        if config is not None:
            (run / "config.json").write_text(json.dumps(config))
        return ["score", "--suite", str(root), "--predictions", str(path)]

    return case


def _pred(task_id: str, **fields: object) -> bytes:
    return json.dumps({"id": task_id, "output": "NO_CALL", "status": "no_call", **fields}).encode()


_CONFIG = {
    "petool_version": "0.1.0", "suite": "tiny", "suite_hash": "x", "scorer": "unified",
    "backend": "oracle",
}  # fmt: skip
_DEEP_LINE = b'{"id": "x", "instruction": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
_SCORE = ["score", "--suite", "demo", "--predictions"]

CASES: dict[str, Case] = {
    # data naming code, unknown names
    "scorer os:system": _edit_info(_set("scorer", "os:system")),
    "prompt style os:system": _edit_info(_set("prompt_style", "os:system")),
    "scorer dotted user module": _edit_info(_set("scorer", "my_mod:fn")),
    "unknown scorer": _edit_info(_set("scorer", "nope")),
    "unknown prompt style": _edit_info(_set("prompt_style", "no-such-style")),
    # suite.json malformed
    "suite.json not JSON": _edit_info(lambda info: "{not json"),
    "suite.json nested 100k": _edit_info(lambda info: "[" * 100_000 + "]" * 100_000),
    "suite.json duplicate key": _edit_info(lambda info: '{"name": "a", "name": "b"}'),
    "suite.json a list": _edit_info(lambda info: "[1, 2]"),
    "suite.json splits wrong type": _edit_info(_set("splits", 5)),
    "suite.json name empty": _edit_info(_set("name", "")),
    "suite.json meta nested deep": _edit_info(_set("extra", _deep(100))),
    # tasks.jsonl malformed
    "task nested 100k": _raw_file("tasks.jsonl", _DEEP_LINE),
    "task meta nested 100": _edit_task(_set("meta.deep", _deep(100))),
    "task non-UTF-8": _raw_file("tasks.jsonl", b'{"id": "caf\xe9"}\n'),
    "tools non-UTF-8": _raw_file("tools.jsonl", b'{"name": "\xff\xfe"}\n'),
    "task lone surrogate": _edit_task(lambda t: json.dumps(t).replace("Convert", "\\ud800C")),
    "task duplicate key": _edit_task(lambda t: '{"id": "a", "id": "b", "instruction": "x"}'),
    "task line truncated": _raw_file("tasks.jsonl", b'{"id": "x", "instr'),
    "task line an array": _raw_file("tasks.jsonl", b"[1, 2, 3]\n"),
    "task line a number": _raw_file("tasks.jsonl", b"42\n"),
    "task control char": _raw_file("tasks.jsonl", b'{"id": "a\x00b", "instruction": "x"}\n'),
    "task BOM line": _raw_file("tasks.jsonl", b'\xef\xbb\xbf{"id": "z", "instruction": "x"}\n'),
    "task missing instruction": _edit_task(lambda t: t.pop("instruction")),
    "task empty id": _edit_task(_set("id", "")),
    "task candidates not a list": _edit_task(_set("candidates", "Finance.Cheap.convert")),
    "task unknown field": _edit_task(_set("evil", 1)),
    "task rating 2": _edit_task(_set("user.history.0.rating", 2)),
    "task mode sometimes": _edit_task(_set("user.history_mode", "sometimes")),
    "task gold not a list": _edit_task(_set("gold", {"tool": "x"})),
    "task gold tool empty": _edit_task(_set("gold.0.tool", "")),
    "task history_length text": _edit_task(_set("meta.history_length", "many")),
    # referential problems (silently accepted before)
    "gold not among candidates": _edit_task(_set("candidates", ["Finance.Pricey.convert"])),
    "empty candidates with gold": _edit_task(_set("candidates", [])),
    "unknown candidate": _edit_task(_set("candidates", ["No.Such.tool"])),
    "unknown gold tool": _edit_task(_set("gold.0.tool", "No.Such.tool")),
    "group names unknown tool": _edit_task(_set("meta.functional_group", ["No.Such.tool"])),
    "history names unknown tool": _edit_task(_set("user.history.0.call.tool", "No.Such.t")),
    "undeclared split": _edit_task(_set("meta.split", "secret")),
    "duplicate task id": _edit_task(_set("id", "tiny-001")),
    "duplicate tool name": _raw_file("tools.jsonl", b'{"name": "Finance.Cheap.convert"}\n'),
    "tool parameters not an object schema": _raw_file(
        "tools.jsonl", b'{"name": "x", "parameters": {"type": "array"}}\n'
    ),
    # not regular files
    "tasks.jsonl a FIFO": _special("fifo"),
    "tasks.jsonl a directory": _special("dir"),
    "tasks.jsonl missing": _special("missing"),
    # options
    "unknown backend typo": lambda tmp: [*_eval(_suite(tmp))[:4], "--backend", "openia:gpt-4o"],
    "backend module missing": lambda tmp: [*_eval(_suite(tmp))[:4], "--backend", "no_mod_x.y:F"],
    "empty backend": lambda tmp: [*_eval(_suite(tmp))[:4], "--backend", " "],
    "mode sometimes": _options("--mode", "sometimes"),
    "mode matching nothing": _options("--split", "test", "--limit", "1", "--mode", "p,x"),
    "unknown split": _options("--split", "nope"),
    "limit 0": _options("--limit", "0"),
    "concurrency 0": _options("--concurrency", "0"),
    "max error rate 2": _options("--max-error-rate", "2"),
    "option a backend does not take": _options("--temperature", "0.9"),
    "temperature nan": _openai("--temperature", "nan"),
    "negative timeout": _openai("--timeout", "-1"),
    "unknown suite": lambda tmp: ["eval", "--suite", "no-such-suite"],
    "suite is a file": lambda tmp: (
        ["eval", "--suite", str(tmp / "suite" / "tasks.jsonl")] if _suite(tmp) else []
    ),
    "out is /dev/null": lambda tmp: [*_eval(_suite(tmp))[:-2], "--out", "/dev/null"],
    "out under /proc": lambda tmp: [*_eval(_suite(tmp))[:-2], "--out", "/proc/petool/x"],
    "out is a file": lambda tmp: [
        *_eval(_suite(tmp))[:-2],
        "--out",
        str(tmp / "suite/tasks.jsonl"),
    ],
    "out under a file": lambda tmp: [
        *_eval(_suite(tmp))[:-2],
        "--out",
        str(tmp / "suite/tasks.jsonl/x"),
    ],
    "resume without out": lambda tmp: ["eval", "--suite", str(_suite(tmp)), "--resume"],
    # predictions and configs to score
    "predictions duplicate id, other answer": _predictions(
        [_pred("tiny-000"), _pred("tiny-000", output="other")]
    ),
    "predictions unknown id": _predictions([_pred("not-a-task")]),
    "predictions non-UTF-8": _predictions([b'{"id": "tiny-000", "output": "\xff"}']),
    "predictions nested deep": _predictions(
        [b'{"id": "a", "output": ' + b"[" * 5000 + b"]" * 5000 + b"}"]
    ),
    "predictions line without id": _predictions([b'{"output": "x"}']),
    "predictions bad status": _predictions([_pred("tiny-000", status="great")]),
    "predictions a FIFO": _predictions(kind="fifo"),
    "predictions a directory": _predictions(kind="dir"),
    "config limit text": _predictions([_pred("tiny-000")], {**_CONFIG, "limit": "str"}),
    "config modes 5": _predictions([_pred("tiny-000")], {**_CONFIG, "modes": 5}),
    "config not an object": _predictions([_pred("tiny-000")], [1, 2]),  # type: ignore[arg-type]
    "score missing file": lambda tmp: [*_SCORE, str(tmp / "none.jsonl")],
    "score bad mode": lambda tmp: [*_SCORE, str(tmp / "none.jsonl"), "--mode", "x"],
    "fetch unknown data": lambda tmp: ["data", "fetch", "nope"],
    "export unknown suite": lambda tmp: ["suites", "export", "nope", str(tmp / "x")],
    "synth validate not a suite": lambda tmp: ["synth", "validate", str(tmp)],
}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PLUGINS), "PETOOL_CACHE_DIR": str(cwd / ".cache")}
    env.pop("PETOOL_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "petool", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _tree(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_size if p.is_file() else -1
        for p in root.rglob("*")
        if ".cache" not in p.parts
    }


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_is_one_line_exit_2(tmp_path, name):
    args = CASES[name](tmp_path)
    before = _tree(tmp_path)
    r = _run(args, tmp_path)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2, f"{name}: exit {r.returncode}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    assert len(lines) == 1, r.stderr[-2000:]
    assert lines[0].startswith("error: ")
    assert _tree(tmp_path) == before, "a refused command wrote files"


def _valid_suite(tmp: Path, mutate: Callable[[list[str]], list[str]]) -> Path:
    root = _suite(tmp)
    lines = (root / "tasks.jsonl").read_text().splitlines()
    (root / "tasks.jsonl").write_bytes("".join(f"{line}\r\n" for line in mutate(lines)).encode())
    return root


def _long_instruction(lines: list[str]) -> list[str]:
    task = json.loads(lines[0])
    task["instruction"] = "convert " + "x" * 10_000_000
    return [json.dumps(task), *lines[1:]]


def _unicode_ids(lines: list[str]) -> list[str]:
    out = []
    for i, line in enumerate(lines):
        task = json.loads(line)
        task["id"] = f"задача-{i}-任务-🙂"
        out.append(json.dumps(task, ensure_ascii=i % 2 == 0))
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "mutate",
    [lambda lines: lines, _long_instruction, _unicode_ids],
    ids=["crlf", "10mb", "unicode"],
)
def test_valid_edge_cases_still_run(tmp_path, mutate):
    root = _valid_suite(tmp_path, mutate)
    r = _run([*_eval(root), "--json"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["overall"]["tool_accuracy"] == 1.0


def test_a_duplicated_prediction_with_the_same_content_counts_once(tmp_path):
    args = _predictions([_pred("tiny-000"), _pred("tiny-000")])(tmp_path)
    r = _run([*args, "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["overall"]["missing"] == 5
