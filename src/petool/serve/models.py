"""The pydantic request and response bodies of the serve API (validation = clear 4xx)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from petool.schema import ToolCall

Name = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@\-]+$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolsetIn(_Body):
    """A toolset: petool ``Tool`` objects, OpenAI function specs, or ``jsonl`` text of Tools."""

    name: str = Name
    tools: list[dict[str, Any]] = Field(default_factory=list, max_length=5000)
    jsonl: str | None = Field(default=None, max_length=5_000_000)


class ToolsetOut(_Body):
    """A stored toolset version; ``toolset_id`` is ``name@version``."""

    toolset_id: str
    name: str
    version: int
    tools: int


class UserIn(_Body):
    """A user's profile, environment and (optionally) the history mode their memory uses."""

    profile: dict[str, Any] = Field(default_factory=dict)
    environment: dict[str, Any] = Field(default_factory=dict)
    history_mode: Literal["preferred", "rated", "chronological"] | None = None


class InteractionIn(_Body):
    """One past tool use; ``id`` (client-supplied) makes a re-sent upload a no-op."""

    id: str | None = Field(default=None, min_length=1, max_length=200)
    instruction: str = Field(default="", max_length=20_000)
    call: ToolCall
    rating: Literal[1, -1] | None = None


class InteractionsIn(_Body):
    """A bulk upload of interactions."""

    items: list[InteractionIn] = Field(min_length=1, max_length=1000)


class InteractionCounts(_Body):
    """How many interactions were stored and how many were already there."""

    created: int
    duplicates: int


class HistoryItem(_Body):
    """One stored interaction as the history endpoint returns it."""

    id: int
    client_id: str | None
    instruction: str
    call: ToolCall
    rating: int | None
    source: str
    created_at: str


class HistoryPage(_Body):
    """A page of a user's history, oldest first; ``next_cursor`` fetches the next page."""

    items: list[HistoryItem]
    next_cursor: int | None


class Alternative(_Body):
    """A ranked candidate."""

    tool: str
    score: float


class Selection(_Body):
    """A served selection: the chosen call (None: abstain), ranked alternatives, explanation."""

    selection_id: str
    call: ToolCall | None
    alternatives: list[Alternative] = Field(default_factory=list)
    explanation: dict[str, Any] = Field(default_factory=dict)
    backend: str
    status: str = "ok"


class SelectIn(_Body):
    """``POST /v1/select``: an instruction for a user over a toolset or an inline tool list."""

    user_id: str = Name
    instruction: str = Field(min_length=1, max_length=20_000)
    toolset_id: str | None = Field(default=None, min_length=1, max_length=220)
    tools: list[dict[str, Any]] | None = Field(default=None, max_length=500)
    candidates: list[str] | None = Field(default=None, max_length=500)
    backend: str | None = Field(default=None, min_length=1, max_length=200)
    top_k: int = Field(default=5, ge=1, le=100)


class FeedbackIn(_Body):
    """``POST /v1/feedback``: a rating of a served selection."""

    selection_id: str = Field(min_length=1, max_length=36)
    rating: Literal[1, -1]


class FeedbackOut(_Body):
    """The stored rating and the history interaction it became (None for an abstention)."""

    selection_id: str
    rating: int
    interaction_id: int | None


class Deleted(_Body):
    """What deleting a user removed."""

    user_id: str
    deleted: dict[str, int]
