"""``vllm:PATH_OR_ID``: vLLM's offline engine, with a LoRA adapter and tensor parallelism.

The engine is built once in ``setup`` (``tensor_parallel_size`` GPUs per model; with an
``adapter``, LoRA is enabled with a rank limit read from the adapter's config and every
request carries a ``LoRARequest``). Prompts are rendered with the model's chat template,
exactly as ``hf:`` renders them, and handed to the engine as token ids; the engine batches
them itself, so the runner sends large batches. vLLM is imported only here, and only when a
``vllm:`` backend is made: ``pip install 'petool[vllm]'`` (Linux with a CUDA GPU).

For a cluster, serve the model with ``vllm serve`` and use ``openai:MODEL --base-url``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from petool.backends.base import Backend, BackendResponse
from petool.backends.hf_backend import DTYPES, PromptBuilder, merge_results
from petool.backends.registry import register_backend
from petool.backends.sampling import (
    SamplingOptions,
    SamplingRequest,
    cut_at_stop,
    require_module,
)
from petool.errors import BackendError, ConfigError
from petool.schema import Suite, Task, Usage

DEFAULT_BATCH = 256
DEFAULT_LORA_RANK = 16


def adapter_rank(adapter: str | Path) -> int:
    """The LoRA rank ``r`` of a PEFT adapter folder (vLLM needs ``max_lora_rank`` >= it).

    Raises:
        ConfigError: The folder has no readable ``adapter_config.json``.
    """
    path = Path(adapter) / "adapter_config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the adapter config ({exc})") from None
    rank = data.get("r") if isinstance(data, dict) else None
    if not isinstance(rank, int) or rank < 1:
        return DEFAULT_LORA_RANK
    return rank


def _lora_limit(rank: int) -> int:
    """The smallest rank limit vLLM accepts that fits ``rank``."""
    for limit in (8, 16, 32, 64, 128, 256, 320, 512):
        if rank <= limit:
            return limit
    raise ConfigError(f"LoRA rank {rank} is larger than vLLM supports (512)")


class VLLMBackend(Backend):
    """Offline batched generation with vLLM.

    Args:
        path: A local model folder or a hub id.
        adapter: A PEFT LoRA adapter folder (served with a ``LoRARequest``).
        tensor_parallel_size: GPUs per model (default 1).
        dtype: ``auto``, ``bfloat16``, ``float16`` or ``float32`` (default auto).
        batch_size: Tasks per engine call (default 256; the engine schedules them).
        tool_calling: ``text``, or ``native`` (tools passed to the chat template).
        temperature: Sampling temperature (default 0).
        top_p: Nucleus sampling mass.
        max_new_tokens: Answer length limit (default 512).
        seed: The engine's and the requests' seed.
        stop: Stop strings.
        prompt_style: The prompt style (default: the suite's).
    """

    name = "vllm"
    max_concurrency = 1

    def __init__(
        self,
        path: str | None,
        *,
        adapter: str | Path | None = None,
        tensor_parallel_size: int | None = None,
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
            raise ConfigError("vllm:PATH_OR_ID needs a model folder or hub id")
        self.spec = f"vllm:{path}"
        require_module("vllm", self.spec, "vllm")
        if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
            raise ConfigError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
        if dtype is not None and dtype not in DTYPES:
            raise ConfigError(f"--dtype: expected one of {', '.join(DTYPES)}, got '{dtype}'")
        self.path = path
        self.adapter = str(adapter) if adapter is not None else None
        self.tensor_parallel_size = tensor_parallel_size or 1
        if self.tensor_parallel_size < 1:
            raise ConfigError(f"--tensor-parallel-size: expected >= 1, got {tensor_parallel_size}")
        self.dtype = dtype or "auto"
        self.batch_size = batch_size or DEFAULT_BATCH
        self._sampling = SamplingRequest(temperature, top_p, max_new_tokens, seed, stop)
        self.sampling: SamplingOptions = self._sampling.resolve()
        self.prompts = PromptBuilder(self.spec, tool_calling, prompt_style)
        self.llm: Any = None
        self.tokenizer: Any = None
        self._lora: Any = None
        self._templated = True

    def setup(self, suite: Suite) -> None:
        """Resolve prompt style and sampling for the suite; build the engine once."""
        style = self.prompts.setup(suite)
        self.sampling = self._sampling.resolve(suite, style)
        if self.llm is None:
            self.load()

    def load(self) -> None:
        """Build the vLLM engine (and the LoRA request).

        Raises:
            ConfigError: The engine cannot be built (one line, with the reason).
        """
        from vllm import LLM

        kwargs: dict[str, Any] = {
            "model": self.path,
            "tensor_parallel_size": self.tensor_parallel_size,
            "dtype": self.dtype,
            "seed": self.sampling.seed or 0,
        }
        if self.adapter is not None:
            from vllm.lora.request import LoRARequest

            kwargs.update(enable_lora=True, max_lora_rank=_lora_limit(adapter_rank(self.adapter)))
            self._lora = LoRARequest("adapter", 1, str(Path(self.adapter).resolve()))
        try:
            self.llm = LLM(**kwargs)
        except (OSError, ValueError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"{self.spec}: cannot start the vLLM engine ({reason})") from None
        self.tokenizer = self.llm.get_tokenizer()
        self._templated = self.prompts.check_template(self.tokenizer)

    def config(self) -> dict[str, Any]:
        """Model, adapter, parallelism, dtype, prompting and sampling."""
        return {
            "name": self.name,
            "model": self.path,
            "adapter": self.adapter,
            "tensor_parallel_size": self.tensor_parallel_size,
            "dtype": self.dtype,
            "batch_size": self.batch_size,
            "tool_calling": self.prompts.tool_calling,
            "prompt_style": self.prompts.style,
            "sampling": self.sampling.as_dict(),
        }

    def _sampling_params(self) -> Any:
        from vllm import SamplingParams

        s = self.sampling
        return SamplingParams(
            temperature=s.temperature,
            top_p=s.top_p if s.top_p is not None else 1.0,
            max_tokens=s.max_new_tokens,
            seed=s.seed,
            stop=list(s.stop) or None,
        )

    def _generate_sync(self, prompts: list[str]) -> list[BackendResponse]:
        add_special = not self._templated
        inputs = [
            {"prompt_token_ids": self.tokenizer(p, add_special_tokens=add_special).input_ids}
            for p in prompts
        ]
        outputs = self.llm.generate(
            inputs, self._sampling_params(), lora_request=self._lora, use_tqdm=False
        )
        responses = []
        for item in outputs:
            completion = item.outputs[0]
            usage = Usage(
                prompt_tokens=len(item.prompt_token_ids or []),
                completion_tokens=len(completion.token_ids or []),
            )
            text = cut_at_stop(completion.text, self.sampling.stop)
            responses.append(BackendResponse(output=text, usage=usage))
        return responses

    async def generate(self, tasks: Sequence[Task]) -> list[BackendResponse]:
        """Generate answers for a batch of tasks with one engine call."""
        if self.llm is None:
            raise BackendError(f"{self.spec}: setup(suite) was not called", retryable=False)
        prompts, errors = self.prompts.prompts(self.tokenizer, tasks)
        results: list[BackendResponse] = []
        if prompts:
            try:
                results = await asyncio.to_thread(self._generate_sync, prompts)
            except (RuntimeError, ValueError) as exc:
                msg = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise BackendError(
                    f"{self.spec}: generation failed ({msg})", retryable=False
                ) from None
        return merge_results(len(tasks), errors, results)


register_backend("vllm")(VLLMBackend)  # the class is the factory: its keywords are its options
