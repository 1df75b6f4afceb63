"""The zero-shot personalized ranker (petool's embedded default backend ``ranker``).

Functional relevance from sentence embeddings of the instruction and each tool's
functionality; the user's preference over tool attributes learned from their history;
parameters filled from the instruction, history, profile and environment.

The embedding model (:mod:`petool.embedding`) loads only when a ranker first embeds text.
"""

from petool.ranker.arguments import FilledArguments, fill_arguments
from petool.ranker.model import CandidateScore, PersonalizedRanker, RankerConfig, Ranking
from petool.ranker.preference import (
    AttributeSpace,
    advantages,
    change_point,
    recency_weights,
    sharpen,
)
from petool.ranker.relevance import functional_group, relevance_scores, schema_fit, tool_text

__all__ = [
    "AttributeSpace",
    "CandidateScore",
    "FilledArguments",
    "PersonalizedRanker",
    "RankerConfig",
    "Ranking",
    "advantages",
    "change_point",
    "fill_arguments",
    "functional_group",
    "recency_weights",
    "relevance_scores",
    "schema_fit",
    "sharpen",
    "tool_text",
]
