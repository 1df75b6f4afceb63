"""The template of docs/suites/adding-a-benchmark.md works as written: its three files, put
under ``petool/suites/mybench/``, make a suite that loads, runs and scores through the
registries; and each built-in benchmark's package registers what it provides."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "suites" / "adding-a-benchmark.md"
BLOCK = re.compile(r"```python\n# src/petool/suites/mybench/(\w+\.py)\n(.*?)```", re.S)

TOOLS = [
    {"name": "weather.now", "description": "current weather", "parameters": {"type": "object"}},
    {
        "name": "weather.week",
        "description": "a week's forecast",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
]
TESTS = [
    {
        "id": 1,
        "user": {"id": "u1", "profile": {"city": "Lyon"}},
        "query": "the week ahead?",
        "candidates": ["weather.now", "weather.week"],
        "answer": {"name": "weather.week", "arguments": {"city": "Lyon"}},
    },
    {
        "id": 2,
        "user": {"id": "u2"},
        "query": "tell me a joke",
        "candidates": ["weather.now"],
        "answer": None,
    },
]

SCRIPT = """
import json, sys
from pathlib import Path

import petool.suites

petool.suites.__path__.append(sys.argv[1])  # the template's package, as if under suites/
import petool.suites.mybench  # noqa: E402  (the face registers the loader and the scorer)

from petool import evaluate, load_suite, make_backend  # noqa: E402
from petool.scoring.registry import get_scorer  # noqa: E402

data, out = Path(sys.argv[2]), Path(sys.argv[3])
suite = load_suite("mybench", data)
record = evaluate(suite, make_backend("oracle"), out_dir=out, concurrency=1)
metrics = json.loads((out / "metrics.json").read_text())
assert get_scorer(suite.info.scorer) is petool.suites.mybench.score_mybench
print(json.dumps({"tasks": [t.id for t in suite.tasks], "metrics": metrics}))
"""


def _template(root: Path) -> Path:
    blocks = dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))
    assert set(blocks) == {"__init__.py", "loader.py", "scorer.py"}
    package = root / "mybench"
    package.mkdir()
    for name, code in blocks.items():
        (package / name).write_text(code, encoding="utf-8")
    return root


def _run(tmp_path: Path, tests: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "tools.json").write_text(json.dumps(TOOLS))
    (data / "test.json").write_text(json.dumps(tests))
    root = _template(tmp_path / "pkg")
    args = [sys.executable, "-c", SCRIPT, str(root), str(data), str(tmp_path / "run")]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_the_template_is_a_working_benchmark(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    done = _run(tmp_path, TESTS)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["tasks"] == ["1", "2"]
    metrics = out["metrics"]
    assert metrics["n"] == 2 and metrics["tool_accuracy"] == 1.0
    assert metrics["unified"]["n"] == 2


def test_the_template_names_a_bad_record(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    done = _run(tmp_path, [*TESTS, {"id": 3, "user": {"id": "u3"}, "query": "no answer"}])
    assert done.returncode != 0
    assert re.search(r"test\.json: record 2: field 'answer' is missing", done.stderr), done.stderr


@pytest.mark.parametrize(
    ("package", "registered"),
    [
        ("demo", {"suite"}),
        ("petoolbench", {"suite", "scorer", "native", "standalone", "paper"}),
        ("toolspectrum", {"suite", "scorer", "prompt", "paper"}),
    ],
)
def test_each_face_registers_what_its_benchmark_provides(
    package: str, registered: set[str]
) -> None:
    code = f"""
import json
import petool.suites.{package}
from petool.prompts.registry import prompt_styles
from petool.scoring.registry import scorers
from petool.suites.native import native_readers, standalone_scorers
from petool.suites.paper import paper_registry
from petool.suites.registry import suites
kinds = {{"suite": suites, "scorer": scorers, "prompt": prompt_styles, "native": native_readers,
         "standalone": standalone_scorers, "paper": paper_registry}}
# only what importing the face registered: no built-in loading, no entry points
print(json.dumps(sorted(k for k, reg in kinds.items() if "{package}" in reg._objects)))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) == registered
