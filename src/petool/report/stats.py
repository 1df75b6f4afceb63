"""Paired statistics on per-task scores: a bootstrap interval and an exact sign test.

Both take two runs' scores of the *same* tasks (aligned arrays): a 0/1 verdict per task, or,
for runs with repeated trials, each task's mean verdict over its trials. numpy only, seeded:
the same inputs and seed give the same interval. On 0/1 verdicts the sign test is exactly
McNemar's test.
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

    The per-task difference takes few distinct values (-1, 0 and 1 for 0/1 verdicts; multiples
    of 1/(K_a K_b) for means over K trials), so one bootstrap resample is a multinomial draw of
    those values' counts: exact, and cheap for any number of tasks.
    """
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    n = int(d.size)
    if n == 0:
        return (0.0, 0.0)
    values, counts_seen = np.unique(d, return_counts=True)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, counts_seen / n, size=n_boot)
    means = counts @ values / n
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return (float(low), float(high))


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value (a sign test on the discordant tasks).

    ``only_a``: tasks only the first run got right; ``only_b``: only the second. No
    discordant task gives p = 1. With per-task means over trials, ``only_a`` / ``only_b``
    count the tasks where that run's mean is the higher: the exact sign test of the
    per-task differences, of which McNemar's test is the 0/1 case.
    """
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2**n)
