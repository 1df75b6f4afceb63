"""The shape of petool's source: lines per package, module sizes, dict-returning functions.

    python benchmarks/code_shape.py [SRC_DIR]      # default: src/petool

Counts physical lines of every ``.py`` file; "functions returning dict[str, Any]" are the
``def``s whose return annotation is exactly ``dict[str, Any]`` (found with ``ast``).
Compare two trees: ``git worktree add /tmp/old REV && python benchmarks/code_shape.py
/tmp/old/src/petool``.
"""

from __future__ import annotations

import ast
import statistics
import sys
from collections import Counter
from pathlib import Path


def shape(root: Path) -> dict[str, object]:
    """Counts for one source tree."""
    sizes: dict[str, int] = {}
    per_package: Counter[str] = Counter()
    dict_returns = 0
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root)
        lines = text.count("\n")
        sizes[str(rel)] = lines
        package = rel.parts[0] if len(rel.parts) > 1 else "(top level)"
        per_package[package] += lines
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
                if ast.unparse(node.returns) == "dict[str, Any]":
                    dict_returns += 1
    return {
        "files": len(sizes),
        "lines": sum(sizes.values()),
        "median_module_lines": statistics.median(sizes.values()),
        "files_over_400_lines": sorted(f for f, n in sizes.items() if n > 400),
        "functions_returning_dict_str_any": dict_returns,
        "lines_per_package": dict(sorted(per_package.items())),
    }


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("src/petool")
    for key, value in shape(root).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
