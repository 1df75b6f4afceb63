"""Where each benchmark's data comes from, and what it must hold (SHA-256 pins included)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from petool.errors import ConfigError

ENV_BASE_URL = "PETOOL_FETCH_BASE_URL"
DEFAULT_BASE_URL = "https://codeload.github.com"
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class GitHubSource:
    """A GitHub repository at a commit: the files to extract and what they must hold.

    ``sha256`` pins files (path -> hex digest, as ``sha256sum`` prints it); a pinned file
    with any other content is refused before anything is put in place. Pins are per file
    because GitHub does not promise byte-identical archives.
    """

    owner: str
    repo: str
    ref: str
    files: tuple[str, ...]
    min_records: Mapping[str, int] = field(default_factory=dict)
    exact_records: Mapping[str, int] = field(default_factory=dict)
    sha256: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path, digest in self.sha256.items():
            if path not in self.files:
                raise ValueError(f"{self.repo}: sha256 pins {path}, which is not extracted")
            if not _SHA256.fullmatch(digest):
                raise ValueError(f"{self.repo}: sha256 of {path} is not 64 lowercase hex digits")

    @property
    def pinned(self) -> bool:
        """True when every extracted file has a SHA-256 pin."""
        return set(self.sha256) == set(self.files)

    def url(self) -> str:
        """The archive URL (``PETOOL_FETCH_BASE_URL`` overrides the host)."""
        base = os.environ.get(ENV_BASE_URL, DEFAULT_BASE_URL).rstrip("/")
        return f"{base}/{self.owner}/{self.repo}/zip/{self.ref}"


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face Hub repository; ``patterns`` must each match at least one file."""

    repo_id: str
    repo_type: str = "dataset"
    revision: str | None = None
    patterns: tuple[str, ...] = ()  # paths (globs) of which at least one must be there
    min_records: int = 1


Source = GitHubSource | HubSource


def parse_pins(text: str) -> dict[str, str]:
    """``sha256sum`` output (``DIGEST  PATH`` per line) as {path: digest}."""
    return {
        path: digest
        for digest, path in (line.split() for line in text.splitlines() if line.strip())
    }


# ``sha256sum`` of the files at the pinned commit
_TOOLSPECTRUM_SHA256 = parse_pins("""
665455d4ff3b6fd1dde831b935da2f82c66b4229839265b5ebeba07a14b2ba24  api/API_description.json
954d9a3bcbca1139994cfe23e155172bd02343f3fd34a29b657e2be1dc137422  api/API_description_environment.json
c2fc3d1c06a403c5c2e3e8fe6179994279b2427f150fcf441f36052e4da55b19  api/API_description_persona.json
a21e958712818e223e0d9190f5c19d335d6fa43f75fda5292ce1b01bb751996f  data/dataset_environment.json
adf0ea32101ccdb7bd2dc8c6751bac2f5c6023638844222b005213fe8a856e32  data/dataset_persona.json
50b0abb433b0424ee99fa78cb9fc5ff8742f5ac0f33205ec0da7749b99508b57  data/dataset_persona_environment.json
790df72f86f152ec409c7bec41b26a27e72eae59d4c7e266e2a4664f013dfa69  prompts/prompt_call_api.txt
8478e677301b8929376ee45aa82f56cf4b3a8f8945081412c248fc48b9fee490  prompts/prompt_call_api_environment.txt
dca202f7b9d852ff03784d3089f7f1b4ac370e217a27e3cab64adfb577f615c3  prompts/prompt_call_api_persona.txt
""")  # noqa: E501
# Not yet recorded: the files at commit 9678ecc8 were never available where these pins were
# written (no network). Fill in with `sha256sum test_*_user/data.json` on a checkout of that
# commit; until then PTBench is checked for structure only (see docs/data.md).
_PTBENCH_SHA256 = parse_pins("")

SOURCES: dict[str, Source] = {
    "petoolbench": HubSource(
        repo_id="travisxu/PEToolBench",
        patterns=tuple(
            f"{folder}user_entries_test{mode}.json{zipped}"
            for folder in ("", "dataset_test/")
            for mode in ("", "_p", "_r", "_c")
            for zipped in ("", ".zip")
        ),
        min_records=1,
    ),
    "ptbench": GitHubSource(
        owner="hyfshadow",
        repo="PTBench",
        ref="9678ecc80b3b39fa9694f25662c44bf4245f0486",
        files=("test_untrained_user/data.json", "test_trained_user/data.json"),
        min_records={"test_untrained_user/data.json": 1, "test_trained_user/data.json": 1},
        sha256=_PTBENCH_SHA256,
    ),
    "toolspectrum": GitHubSource(
        owner="BUAA-IRIP-LLM",
        repo="ToolSpectrum",
        ref="83585ddaef64aa02e9cdf8cc3c58627ee94cf50a",
        files=tuple(_TOOLSPECTRUM_SHA256),
        exact_records={
            "data/dataset_persona.json": 449,
            "data/dataset_environment.json": 220,
            "data/dataset_persona_environment.json": 333,
        },
        sha256=_TOOLSPECTRUM_SHA256,
    ),
}


def source(name: str) -> Source:
    """The source named ``name``; ConfigError naming the known ones otherwise."""
    if name not in SOURCES:
        known = ", ".join(sorted(SOURCES))
        raise ConfigError(f"no public data named '{name}' (known: {known})")
    return SOURCES[name]
