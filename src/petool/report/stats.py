"""Paired statistics on per-task verdicts: a bootstrap interval and an exact McNemar test.

Both take two runs' verdicts of the *same* tasks (aligned arrays of 0/1). numpy only, seeded:
the same inputs and seed give the same interval.
"""

from __future__ import annotations

from math import comb

import numpy as np

DEFAULT_BOOTSTRAP = 10_000
DEFAULT_SEED = 0


def paired_bootstrap_ci(
    a: np.ndarray,
    b: np.ndarray,
    *,
    n_boot: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> tuple[float, float]:
    """The ``level`` percentile interval of mean(b - a) over tasks resampled with replacement.

    The per-task difference takes only the values -1, 0 and 1, so one bootstrap resample is a
    multinomial draw of those three counts: exact, and cheap for any number of tasks.
    """
    d = np.asarray(b, dtype=np.int64) - np.asarray(a, dtype=np.int64)
    n = int(d.size)
    if n == 0:
        return (0.0, 0.0)
    probs = np.array([(d == -1).sum(), (d == 0).sum(), (d == 1).sum()], dtype=float) / n
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, probs, size=n_boot)
    means = (counts[:, 2] - counts[:, 0]) / n
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return (float(low), float(high))


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value (a sign test on the discordant tasks).

    ``only_a``: tasks only the first run got right; ``only_b``: only the second. No
    discordant task gives p = 1.
    """
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2**n)
