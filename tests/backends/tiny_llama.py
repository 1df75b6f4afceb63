"""A tiny Llama-style chat model built in a test's tmp dir (random weights, no download).

:func:`build_tiny_llama` trains a byte-level BPE tokenizer on a small corpus (the prompts of
the given suite, plus JSON and Python call syntax), wraps it as a ``PreTrainedTokenizerFast``
with a Jinja chat template, builds a 2-layer ``LlamaForCausalLM`` with ``hidden_size=64`` and
random weights, and saves both with ``save_pretrained`` — a folder ``hf:PATH`` can load.
:func:`make_lora_adapter` saves a PEFT LoRA adapter for it whose weights are not zero, so
it changes the model's output.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}{{ eos_token }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]
EXTRA_CORPUS = [
    '{"tool_name": "Finance.Cheap.convert", "parameters": {"amount": 10, "to": "EUR"}}',
    '{"tool_name": null, "parameters": {}}',
    "[f(a=1, b='x'), g(c=[1, 2, 3])]",
    "NO_CALL <think>reasoning</think> ```json {} ``` <tool_call>{}</tool_call>",
    "The quick brown fox jumps over the lazy dog. 0123456789 !?:;,.-_/\\'\"()[]{}<>",
]


def build_tiny_llama(
    out_dir: str | Path, corpus: Iterable[str] = (), *, seed: int = 0, hidden_size: int = 64
) -> Path:
    """Build and save a tiny random chat model and its tokenizer; return the folder.

    ``hidden_size`` / 4 is the head size (vLLM's kernels want at least 64: use 256 there).
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([*corpus, *EXTRA_CORPUS], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(out)

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    return out


def make_lora_adapter(model_dir: str | Path, out_dir: str | Path, *, seed: int = 1) -> Path:
    """Save a LoRA adapter (rank 4 on q/v projections, random non-zero B) for the model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM

    torch.manual_seed(seed)
    base = LlamaForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(
        r=4,
        lora_alpha=16,
        target_modules=["q_proj", "v_proj"],
        init_lora_weights=False,  # random B: the adapter must change the output
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # peft calls deprecated transformers APIs
        warnings.simplefilter("ignore", FutureWarning)
        peft_model = get_peft_model(base, config)
    out = Path(out_dir)
    peft_model.save_pretrained(out)
    return out
