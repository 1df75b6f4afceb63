"""--trials K with an OpenAI-compatible server: each trial's requests carry its seed."""

from __future__ import annotations

from collections import Counter

from backend_helpers import isolated_cache, scripts_for, serve, tiny

from petool.backends.registry import make_backend
from petool.run import evaluate

__all__ = ["isolated_cache", "serve", "tiny"]


def test_each_trial_sends_its_seed_and_is_not_a_cache_hit_of_another(tiny, serve, tmp_path):
    server = serve(scripts_for(tiny))
    backend = make_backend("openai:gpt-4o-mini", base_url=server.base_url, temperature=0.7)
    res = evaluate(tiny, backend, out_dir=tmp_path / "r", trials=3, seed=5, concurrency=4)
    seeds = Counter(body["seed"] for body in server.bodies)
    assert seeds == {5: len(tiny.tasks), 6: len(tiny.tasks), 7: len(tiny.tasks)}
    assert all(body["temperature"] == 0.7 for body in server.bodies)
    assert not any(p.cached for p in res.predictions)
    assert res.metrics["trials"]["seeds"] == [5, 6, 7]
    assert res.metrics["overall"]["call_accuracy"] == 1.0
    assert res.metrics["trials"]["std"]["overall"]["call_accuracy"] == 0.0
