"""``hf:PATH_OR_ID``: a local HuggingFace causal LM (optionally with a PEFT LoRA adapter).

The model is loaded once in ``setup`` from a local folder or the hub cache (set
``HF_HUB_OFFLINE=1`` to forbid downloads), in bf16 on a GPU and fp32 on the CPU unless
``dtype`` says otherwise. Each batch of tasks is rendered with the model's chat template,
padded on the left, generated in one ``model.generate`` call (in a worker thread, so the
event loop keeps writing predictions), cut at the first end-of-sequence token and at the
stop strings, and decoded. transformers, torch and peft are imported only when used.

``tool_calling="native"`` passes the candidate tools to the chat template (``tools=``) for
templates that support them; the model's text answer (e.g. ``<tool_call>`` blocks) is then
parsed as usual.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.registry import register_backend
from petool.backends.sampling import (
    SamplingOptions,
    SamplingRequest,
    cut_at_stop,
    require_module,
)
from petool.errors import BackendError, ConfigError, InputError
from petool.prompts import get_prompt_style, render_messages
from petool.prompts.native import native_tools, style_for
from petool.schema import Suite, Task, Tool, Usage

DTYPES = ("auto", "bfloat16", "float16", "float32")
FALLBACK_ROLES = {"system": "System", "user": "User", "assistant": "Assistant"}


def _fallback_prompt(messages: Sequence[dict[str, str]]) -> str:
    lines = [f"{FALLBACK_ROLES.get(m['role'], m['role'])}: {m['content']}" for m in messages]
    return "\n\n".join([*lines, "Assistant:"])


def chat_prompt(
    tokenizer: Any, messages: list[dict[str, str]], tools: list[dict[str, Any]] | None = None
) -> str:
    """Messages as one prompt string through the tokenizer's chat template.

    A template that rejects the system role gets the system text prepended to the first
    user message. A tokenizer without a template gets a plain ``Role: text`` rendering.
    """
    if not getattr(tokenizer, "chat_template", None):
        return _fallback_prompt(messages)
    extra: dict[str, Any] = {"tools": tools} if tools else {}
    try:
        text = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, **extra
        )
    except Exception:
        if len(messages) < 2 or messages[0]["role"] != "system":
            raise
        merged = {
            "role": "user",
            "content": f"{messages[0]['content']}\n\n{messages[1]['content']}",
        }
        text = tokenizer.apply_chat_template(
            [merged, *messages[2:]], tokenize=False, add_generation_prompt=True, **extra
        )
    return str(text)


class PromptBuilder:
    """Renders tasks into model prompts: prompt style, chat template, native tools."""

    def __init__(self, spec: str, tool_calling: str, prompt_style: str | None):
        if tool_calling not in ("text", "native"):
            raise ConfigError(f"--tool-calling: expected text or native, got '{tool_calling}'")
        self.spec = spec
        self.tool_calling = tool_calling
        self.style_option = prompt_style
        self.style: str | None = prompt_style
        self.tools: dict[str, Tool] | None = None

    def setup(self, suite: Suite) -> str:
        """Resolve the prompt style for a suite (returns it)."""
        style = style_for(self.style_option or suite.info.prompt_style, self.tool_calling)
        get_prompt_style(style)
        self.style = style
        self.tools = suite.tool_index()
        return style

    def check_template(self, tokenizer: Any) -> bool:
        """Whether the tokenizer has a chat template; native tools need one that uses them."""
        template = getattr(tokenizer, "chat_template", None)
        if self.tool_calling == "native" and (not template or "tools" not in str(template)):
            raise ConfigError(
                f"{self.spec}: the model's chat template does not take tools; "
                "use --tool-calling text"
            )
        return bool(template)

    def prompt(self, tokenizer: Any, task: Task) -> str:
        """The prompt text for one task."""
        if self.tools is None or self.style is None:
            raise BackendError(f"{self.spec}: setup(suite) was not called", retryable=False)
        messages = render_messages(task, self.tools, style=self.style)
        tools = native_tools(task, self.tools) if self.tool_calling == "native" else None
        return chat_prompt(tokenizer, messages, tools)

    def prompts(self, tokenizer: Any, tasks: Sequence[Task]) -> tuple[list[str], dict[int, str]]:
        """Prompts for the tasks that render, and an error message per index that does not."""
        prompts: list[str] = []
        errors: dict[int, str] = {}
        for i, task in enumerate(tasks):
            try:
                prompts.append(self.prompt(tokenizer, task))
            except InputError as exc:
                errors[i] = str(exc)
        return prompts, errors


def merge_results(
    n: int, errors: dict[int, str], results: list[BackendResponse]
) -> list[BackendResponse]:
    """Put per-task render errors and generated answers back in task order."""
    answers = iter(results)
    return [
        BackendResponse(error=errors[i], retryable=False) if i in errors else next(answers)
        for i in range(n)
    ]


class HFBackend(Backend):
    """Batched generation with a HuggingFace model on one device.

    Args:
        path: A local model folder or a hub id (from the hub cache when offline).
        adapter: A PEFT LoRA adapter folder to load on top.
        device: ``cpu``, ``cuda``, ``cuda:1``, ... (default: cuda when available).
        dtype: ``auto``, ``bfloat16``, ``float16`` or ``float32`` (default: bf16 on GPU).
        batch_size: Tasks per ``generate`` call (default 16 on GPU, 4 on CPU).
        tool_calling: ``text``, or ``native`` (tools passed to the chat template).
        temperature: Sampling temperature (default 0: greedy).
        top_p: Nucleus sampling mass.
        max_new_tokens: Answer length limit (default 512).
        seed: Seeds torch's generator when sampling.
        stop: Stop strings.
        prompt_style: The prompt style (default: the suite's).
    """

    name = "hf"
    max_concurrency = 1

    def __init__(
        self,
        path: str | None,
        *,
        adapter: str | Path | None = None,
        device: str | None = None,
        dtype: str | None = None,
        batch_size: int | None = None,
        tool_calling: str = "text",
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
        seed: int | None = 0,
        stop: str | Sequence[str] | None = None,
        prompt_style: str | None = None,
    ):
        if not path:
            raise ConfigError("hf:PATH_OR_ID needs a model folder or hub id, e.g. hf:./my-model")
        self.spec = f"hf:{path}"
        require_module("transformers", self.spec, "hf")
        require_module("torch", self.spec, "hf")
        if adapter is not None:
            require_module("peft", self.spec, "hf")
            if not Path(adapter).exists():
                raise ConfigError(f"--adapter {adapter}: does not exist")
            if not (Path(adapter) / "adapter_config.json").is_file():
                raise ConfigError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
        if dtype is not None and dtype not in DTYPES:
            raise ConfigError(f"--dtype: expected one of {', '.join(DTYPES)}, got '{dtype}'")
        self.path = path
        self.adapter = str(adapter) if adapter is not None else None
        self.device = device or self._default_device()
        self.dtype = dtype or ("bfloat16" if self.device.startswith("cuda") else "float32")
        on_gpu = self.device.startswith("cuda")
        self.batch_size = batch_size or (16 if on_gpu else 4)
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size: expected >= 1, got {batch_size}")
        self._sampling = SamplingRequest(temperature, top_p, max_new_tokens, seed, stop)
        self.sampling: SamplingOptions = self._sampling.resolve()
        self.prompts = PromptBuilder(self.spec, tool_calling, prompt_style)
        self.model: Any = None
        self.tokenizer: Any = None
        self._templated = True
        self._eos: set[int] = set()
        self._pad: int | None = None

    @staticmethod
    def _default_device() -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def setup(self, suite: Suite) -> None:
        """Resolve prompt style and sampling for the suite; load model and adapter once."""
        style = self.prompts.setup(suite)
        self.sampling = self._sampling.resolve(suite, style)
        if self.model is None:
            self.load()

    def load(self) -> None:
        """Load tokenizer, model (and adapter) onto the device.

        Raises:
            ConfigError: The model or adapter cannot be loaded (one line, with the reason).
        """
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        local = Path(self.path).expanduser()
        looks_local = self.path.startswith(("/", ".", "~")) or self.path.count("/") > 1
        if looks_local and not local.is_dir():
            raise ConfigError(f"{self.spec}: no model folder at {local} (and not a hub id)")
        offline = local.is_dir() or not hub_reachable(self.spec)
        try:
            tokenizer: Any = AutoTokenizer.from_pretrained(self.path, local_files_only=offline)
            dtype = "auto" if self.dtype == "auto" else getattr(torch, self.dtype)
            model: Any = AutoModelForCausalLM.from_pretrained(
                self.path, dtype=dtype, local_files_only=offline
            )
        except (OSError, ValueError) as exc:
            if offline and not local.is_dir():
                raise ConfigError(
                    f"{self.spec}: not a local folder, not in the Hugging Face cache, and the Hub"
                    " cannot be reached (or HF_HUB_OFFLINE is set); pass hf:/path/to/model, or"
                    " download it where there is a network"
                ) from None
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"{self.spec}: cannot load the model ({reason})") from None
        if self.adapter is not None:
            from peft import PeftModel

            try:
                with warnings.catch_warnings():  # peft calls deprecated transformers APIs
                    warnings.simplefilter("ignore", FutureWarning)
                    model = PeftModel.from_pretrained(model, self.adapter)
            except (OSError, ValueError, RuntimeError, KeyError) as exc:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise ConfigError(f"{self.adapter}: cannot load the adapter ({reason})") from None
        try:
            model.to(self.device)
        except (RuntimeError, AssertionError) as exc:
            raise ConfigError(f"--device {self.device}: {str(exc).splitlines()[0]}") from None
        model.eval()
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._templated = self.prompts.check_template(tokenizer)
        eos = model.generation_config.eos_token_id
        self._eos = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if tokenizer.eos_token_id is not None:
            self._eos.add(tokenizer.eos_token_id)
        self._pad = tokenizer.pad_token_id
        self.model, self.tokenizer = model, tokenizer

    def config(self) -> dict[str, Any]:
        """Model, adapter, device, dtype, batch size, prompting and sampling."""
        return {
            "name": self.name,
            "model": self.path,
            "adapter": self.adapter,
            "device": self.device,
            "dtype": self.dtype,
            "batch_size": self.batch_size,
            "tool_calling": self.prompts.tool_calling,
            "prompt_style": self.prompts.style,
            "chat_template": self._templated,
            "sampling": self.sampling.as_dict(),
        }

    def _generate_sync(self, prompts: list[str]) -> list[BackendResponse]:
        import torch

        tok, s = self.tokenizer, self.sampling
        enc = tok(
            prompts, return_tensors="pt", padding=True, add_special_tokens=not self._templated
        )
        enc = enc.to(self.device)
        kwargs: dict[str, Any] = {
            "max_new_tokens": s.max_new_tokens,
            "pad_token_id": tok.pad_token_id,
            "eos_token_id": sorted(self._eos) or None,
            "do_sample": not s.greedy,
        }
        if s.greedy:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(temperature=s.temperature, top_p=s.top_p or 1.0)
            if s.seed is not None:
                torch.manual_seed(s.seed)
        if s.stop:
            kwargs.update(stop_strings=list(s.stop), tokenizer=tok)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        width = enc["input_ids"].shape[1]
        prompt_lengths = enc["attention_mask"].sum(dim=1).tolist()
        responses = []
        for row, prompt_tokens in zip(out[:, width:].tolist(), prompt_lengths, strict=True):
            ids = self._until_eos(row)
            text = cut_at_stop(tok.decode(ids, skip_special_tokens=True), s.stop)
            usage = Usage(prompt_tokens=int(prompt_tokens), completion_tokens=len(ids))
            responses.append(BackendResponse(output=text, usage=usage))
        return responses

    def _until_eos(self, ids: list[int]) -> list[int]:
        """The generated ids up to the first end-of-sequence (kept) or padding (dropped)."""
        for i, token in enumerate(ids):
            if token in self._eos:
                return ids[: i + 1]
            if token == self._pad:
                return ids[:i]
        return ids

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """Generate answers for a batch of tasks in one ``model.generate`` call."""
        if self.model is None:
            raise BackendError(f"{self.spec}: setup(suite) was not called", retryable=False)
        prompts, errors = self.prompts.prompts(self.tokenizer, tasks)
        results: list[BackendResponse] = []
        if prompts:
            try:
                results = await asyncio.to_thread(self._generate_sync, prompts)
            except RuntimeError as exc:  # e.g. CUDA out of memory: retrying will not help
                msg = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise BackendError(
                    f"{self.spec}: generation failed ({msg})", retryable=False
                ) from None
        return merge_results(len(tasks), errors, results)

    async def aclose(self) -> None:
        """Keep the model loaded (a later run reuses it); nothing to release per run."""


register_backend("hf")(HFBackend)  # the class is the factory: its keywords are its options


def hub_reachable(spec: str) -> bool:
    """Whether a model may be downloaded from the Hub: ``HF_HUB_OFFLINE`` unset and the Hub's
    host resolving at once. Without that, loading uses the local cache only, so an offline
    machine gets one clear line at once instead of a minute of "Retrying in Ns"."""
    import os
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname
    if not host:
        return False
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True
