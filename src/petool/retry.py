"""The one retry policy: how long to wait before retrying a failed backend request.

The runner (``petool eval``) and the synthesis LLM stages (``petool synth``) both retry with
it, each drawing the jitter from a seeded ``random.Random`` so that a run's waits repeat.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class RetryPolicy:
    """How backend failures are retried.

    A server that says when to come back (``Retry-After`` / ``retry-after-ms``) is taken at its
    word, as the OpenAI SDK does (the header parser caps it at two minutes); otherwise the wait
    is exponential backoff with jitter, between half and all of ``base_delay * 2 ** (attempt - 1)``
    capped at ``max_delay``. Waiting longer than the server asked would only idle the slot.
    """

    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return retry_after
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(backoff / 2, backoff)
