"""Generate the built-in ``demo`` suite from the demo catalog (seeded, byte-reproducible).

Users have preferences over non-functional tool attributes (cheap, fast, accurate, ad-free,
private, wide coverage, high rate limit). For each task the user asks for a functionality
offered by 2–5 interchangeable tools; the gold call is the member the user's preference picks
(by a margin), with the required values from the instruction and the personalized optional
values (language, units, currency, ...) from the user's habits, visible in the profile and in
past calls.

The suite is built by the synthesis pipeline (:mod:`petool.synth.pipeline`) in offline mode
from the catalog, exactly as ``petool synth --corpus src/petool/synth/catalog/demo_catalog.json
--backend template --seed 0`` does. Run ``python -m petool.synth.demo --out DIR --seed S``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from petool.schema import Suite
from petool.suites.demo import DEMO_DIR
from petool.synth.corpus import Corpus, CorpusReport
from petool.synth.demo_catalog import CATALOG_PATH, Catalog, load_catalog
from petool.synth.demo_strategy import DESCRIPTION, suite_stats
from petool.synth.pipeline import SynthConfig, run_pipeline
from petool.synth.splits import write_suite_dir

SHIPPED_DIR = DEMO_DIR
SPLITS = ("test", "train")
__all__ = [
    "DESCRIPTION",
    "SHIPPED_DIR",
    "DemoConfig",
    "build_demo_suite",
    "generate_demo_suite",
    "main",
    "suite_stats",
    "write_demo_suite",
]


@dataclass(frozen=True)
class DemoConfig:
    """Sizes and rates of the generated suite."""

    test_per_mode: int = 240
    train_per_mode: int = 400
    tasks_per_user: int = 4
    n_candidates: int = 8
    min_history: int = 3
    max_history: int = 10

    def synth_config(self, seed: int, out: Path | None) -> SynthConfig:
        """The pipeline settings that build this demo suite (offline, no cache, no record)."""
        return SynthConfig(
            corpus=CATALOG_PATH,
            out=out,
            backend="template",
            test_per_mode=self.test_per_mode,
            train_per_mode=self.train_per_mode,
            tasks_per_user=self.tasks_per_user,
            candidates=self.n_candidates,
            min_history=self.min_history,
            max_history=self.max_history,
            seed=seed,
            name="demo",
            cache=False,
            record=False,
        )


def _catalog_corpus(catalog: Catalog) -> Corpus:
    tools = catalog.tools
    report = CorpusReport(str(CATALOG_PATH), "catalog", files=1, tools=len(tools))
    report.providers = len({t.app for t in tools})
    return Corpus(tools=tools, report=report, catalog=catalog)


def build_demo_suite(
    seed: int = 0, config: DemoConfig | None = None, catalog: Catalog | None = None
) -> Suite:
    """Build the demo suite in memory (same seed and config: same suite)."""
    config = config or DemoConfig()
    corpus = _catalog_corpus(catalog or load_catalog())
    return run_pipeline(config.synth_config(seed, None), corpus=corpus).suite


def write_demo_suite(suite: Suite, out_dir: Path) -> Path:
    """Write ``suite.json``, ``tools.jsonl`` and ``tasks.jsonl`` into ``out_dir``."""
    return write_suite_dir(suite, out_dir)


def generate_demo_suite(
    out_dir: Path | None,
    seed: int = 0,
    config: DemoConfig | None = None,
    catalog: Catalog | None = None,
) -> Suite:
    """Generate the demo suite and write it to ``out_dir`` (``None``: do not write).

    Args:
        out_dir: directory for ``suite.json``, ``tools.jsonl``, ``tasks.jsonl``.
        seed: seed of the only random generator used; same seed, same bytes.
        config: sizes and rates (defaults: 240 test and 400 train tasks per mode).
        catalog: the tool catalog (default: the shipped ``demo_catalog.json``).

    Returns:
        The generated suite.
    """
    config = config or DemoConfig()
    corpus = _catalog_corpus(catalog or load_catalog())
    out = Path(out_dir) if out_dir is not None else None
    return run_pipeline(config.synth_config(seed, out), corpus=corpus).suite


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m petool.synth.demo --out DIR --seed S``."""
    parser = argparse.ArgumentParser(prog="python -m petool.synth.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR, help="output directory")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--test-per-mode", type=int, default=DemoConfig.test_per_mode)
    parser.add_argument("--train-per-mode", type=int, default=DemoConfig.train_per_mode)
    args = parser.parse_args(argv)
    config = DemoConfig(test_per_mode=args.test_per_mode, train_per_mode=args.train_per_mode)
    suite = generate_demo_suite(args.out, seed=args.seed, config=config)
    stats = suite.info.model_dump().get("stats", {})
    print(f"wrote {args.out}: {stats.get('tools')} tools, tasks {stats.get('tasks')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
