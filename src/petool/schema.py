"""The types every stage of petool speaks: tools, calls, users, tasks, suites, predictions.

One schema through the whole loop (synthesis, suites, prompts, backends, parsing, scoring,
training, serving). A stage that needs a new field adds it here instead of passing dicts.

Conventions:

* An answer is a *list* of calls. The empty list is "no call" (abstain); there is no second
  encoding of abstention (``ToolCall`` always names a tool).
* A gold call may accept several values for an argument: ``ToolCall.alternatives`` maps an
  argument name to the extra values that also count as correct.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HistoryMode = Literal["preferred", "rated", "chronological"]
HISTORY_MODES: tuple[HistoryMode, ...] = ("preferred", "rated", "chronological")
#: The short forms every command accepts (PEToolBench's own file prefixes ``p_``, ``r_``, ``c_``).
HISTORY_MODE_CODES: dict[str, HistoryMode] = {"p": "preferred", "r": "rated", "c": "chronological"}
#: The group name of tasks whose user has no history mode (ToolSpectrum, PTBench).
NO_MODE = "none"


def parse_history_mode(value: str, option: str = "--mode") -> HistoryMode:
    """One history mode from its name or short form (``p``, ``r``, ``c``).

    Raises:
        ConfigError: anything else (the message names ``option`` and the choices).
    """
    from petool.errors import ConfigError

    name = value.strip().lower()
    name = HISTORY_MODE_CODES.get(name, name)
    for mode in HISTORY_MODES:
        if mode == name:
            return mode
    raise ConfigError(
        f"{option}: expected one of {', '.join(HISTORY_MODES)} (or p, r, c), got '{value}'"
    )


def parse_history_modes(
    values: str | list[str] | tuple[str, ...] | None, option: str = "--mode"
) -> list[HistoryMode] | None:
    """History modes from repeatable, comma-separated option values; None when none given.

    ``["p,rated", "c"]`` -> ``["preferred", "rated", "chronological"]`` (first mention order).
    """
    if not values:
        return None
    items = [values] if isinstance(values, str) else list(values)
    modes: list[HistoryMode] = []
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            mode = parse_history_mode(part, option)
            if mode not in modes:
                modes.append(mode)
    return modes or None


ALL_SPLITS = "all"

ParseStatus = Literal["ok", "no_call", "parse_error", "backend_error"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)


class ParamRoles(_Model):
    """Which parameters play which part in personalization.

    ``required``: must be given. ``personalized``: optional, implied by the user's habits or
    profile. ``environmental``: optional, implied by the environment (weather, network, ...).
    ``profile``: left out of the request and filled from the profile (PTBench's profile params).
    """

    required: list[str] = Field(default_factory=list)
    personalized: list[str] = Field(default_factory=list)
    environmental: list[str] = Field(default_factory=list)
    profile: list[str] = Field(default_factory=list)


class Tool(_Model):
    """A callable tool (an API endpoint, an app function)."""

    name: str = Field(min_length=1)
    app: str | None = None
    category: str = ""
    description: str = ""
    functionality: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}, "required": []}
    )
    param_roles: ParamRoles = Field(default_factory=ParamRoles)

    @field_validator("parameters")
    @classmethod
    def _is_object_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type", "object") != "object":
            raise ValueError("expected a JSON Schema with type 'object'")
        props = value.get("properties", {})
        if not isinstance(props, dict):
            raise ValueError("expected 'properties' to be an object")
        return value

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        """The JSON Schema ``properties`` of the parameters."""
        props: dict[str, dict[str, Any]] = self.parameters.get("properties", {})
        return props

    @property
    def required(self) -> list[str]:
        """Names of required parameters (schema ``required`` plus ``param_roles.required``)."""
        names = list(self.parameters.get("required", []))
        names += [n for n in self.param_roles.required if n not in names]
        return names


class ToolCall(_Model):
    """One call of a tool with its arguments."""

    tool: str = Field(min_length=1)
    app: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    alternatives: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="gold only: further values accepted for an argument",
    )

    def accepted_values(self, argument: str) -> list[Any]:
        """Every value that counts as correct for ``argument`` (gold calls)."""
        values = [self.arguments[argument]] if argument in self.arguments else []
        return values + list(self.alternatives.get(argument, []))


class Interaction(_Model):
    """One past request of the user and the call that answered it."""

    instruction: str = ""
    call: ToolCall
    rating: Literal[1, -1] | None = None
    step: int = 0


class UserContext(_Model):
    """Everything known about the user beyond the instruction."""

    user_id: str = ""
    history: list[Interaction] = Field(default_factory=list)
    history_mode: HistoryMode | None = None
    profile: dict[str, Any] = Field(default_factory=dict)
    environment: dict[str, Any] = Field(default_factory=dict)

    def without_context(self) -> UserContext:
        """The same user with history, profile and environment removed (the ablation)."""
        return UserContext(user_id=self.user_id, history_mode=self.history_mode)


class TaskMeta(_Model):
    """What is known about a task besides its input and answer."""

    model_config = ConfigDict(extra="allow")

    split: str = "test"
    category: str = ""
    history_length: int | None = None
    functional_group: list[str] = Field(
        default_factory=list,
        description="the candidates that do the same job as the gold tool (gold included)",
    )
    preferred_tool: str | None = None
    query_params: list[str] = Field(default_factory=list)
    profile_params: list[str] = Field(default_factory=list)
    environment_params: list[str] = Field(default_factory=list)
    open_candidates: bool = Field(
        default=False,
        exclude_if=lambda value: not value,  # written only when set: suites stay byte-stable
        description="no candidate list: the task ranks the whole toolset (large catalogs)",
    )


class Task(_Model):
    """One instruction of one user, with its candidate tools and gold answer."""

    id: str = Field(min_length=1)
    instruction: str
    user: UserContext = Field(default_factory=UserContext)
    candidates: list[str] = Field(default_factory=list)
    gold: list[ToolCall] = Field(default_factory=list, description="empty: no call is right")
    meta: TaskMeta = Field(default_factory=TaskMeta)
    system_prompt: str | None = Field(
        default=None, description="a suite's own rendered prompt (faithful mode), if it has one"
    )

    @property
    def mode(self) -> HistoryMode | None:
        """The history mode of the task's user."""
        return self.user.history_mode

    def without_context(self) -> Task:
        """The same task with the user's history, profile and environment removed."""
        return self.model_copy(update={"user": self.user.without_context(), "system_prompt": None})


class SuiteInfo(_Model):
    """The ``suite.json`` of a suite directory."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    scorer: str = "unified"
    prompt_style: str = "unified"
    description: str = ""
    version: str = "1"
    splits: list[str] = Field(default_factory=lambda: ["test"])
    default_split: str = "test"


class Suite(_Model):
    """A toolset plus tasks, with the names of its scorer and prompt style."""

    info: SuiteInfo
    tools: list[Tool]
    tasks: list[Task]
    load_warnings: list[str] = Field(
        default_factory=list,
        exclude=True,
        description="problems a lenient load let through (counted in a run's config.json)",
    )

    @property
    def name(self) -> str:
        """The suite's name."""
        return self.info.name

    def tool_index(self) -> dict[str, Tool]:
        """Tools by name."""
        return {t.name: t for t in self.tools}

    def split(self, name: str | None) -> list[Task]:
        """The tasks of one split; all tasks when ``name`` is None or ``"all"``.

        ``"all"`` means every task unless the suite has a split of that name itself.
        """
        if name is None or (name == ALL_SPLITS and name not in self.split_sizes()):
            return list(self.tasks)
        return [t for t in self.tasks if t.meta.split == name]

    def split_sizes(self) -> dict[str, int]:
        """Number of tasks per split."""
        sizes: dict[str, int] = {}
        for t in self.tasks:
            sizes[t.meta.split] = sizes.get(t.meta.split, 0) + 1
        return sizes


class Usage(_Model):
    """Tokens and cost of one request."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0


class Prediction(_Model):
    """What a backend answered for one task: one line of ``predictions.jsonl``."""

    id: str = Field(min_length=1)
    output: str = ""
    status: ParseStatus = "ok"
    calls: list[ToolCall] = Field(default_factory=list)
    error: str | None = None
    latency_s: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    attempts: int = 1
    cached: bool = False
    trial: int = 0
    explanation: dict[str, Any] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,  # written only when a backend explains
        description="the backend's reasons for its choice (the ranker's top features)",
    )

    @property
    def call(self) -> ToolCall | None:
        """The first predicted call, or None."""
        return self.calls[0] if self.calls else None
