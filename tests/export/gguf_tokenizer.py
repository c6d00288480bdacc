"""The embedded SmolLM2 model's own tokenizer and chat template, read from its GGUF file
into a `transformers` tokenizer, offline.

transformers can read GGUF tokenizers itself, but only with torch installed; this reads
the file's metadata (the GGUF header's key/value section, parsed below) and builds the
same byte-level BPE with the `tokenizers` library: vocabulary, merges, control tokens and
the `smollm` pre-tokenizer (single digits, then GPT-2 byte-level splitting).
test_chat_template_masks.py checks it counts tokens as llama.cpp does on the same file.
"""

from __future__ import annotations

import functools
import struct

CONTROL = 3  # GGUF token type of special tokens
# GGUF metadata value types -> struct format (8 string, 9 array are read apart)
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
          11: "<q", 12: "<d"}


def gguf_metadata(path: str) -> dict:
    """The key/value metadata of a GGUF (v2/v3) file."""
    with open(path, "rb") as fh:
        def read(fmt):
            return struct.unpack(fmt, fh.read(struct.calcsize(fmt)))[0]

        def string():
            return fh.read(read("<Q")).decode("utf-8", "replace")

        def value(kind):
            if kind == 8:
                return string()
            if kind == 9:
                elem, count = read("<I"), read("<Q")
                return [value(elem) for _ in range(count)]
            return read(SCALAR[kind])

        if fh.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        read("<I")  # version
        read("<Q")  # tensor count
        return {string(): value(read("<I")) for _ in range(read("<Q"))}


@functools.cache
def smollm2_tokenizer():
    """A transformers tokenizer (with chat template), or None when the model or the
    test-only packages are not installed."""
    try:
        from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
        from transformers import PreTrainedTokenizerFast
    except ImportError:
        return None
    from bdsl.llm.models import model_path

    path = model_path("smollm2")
    if path is None:
        return None
    meta = gguf_metadata(path)
    tokens, types = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    assert meta["tokenizer.ggml.model"] == "gpt2" and meta["tokenizer.ggml.pre"] == "smollm"
    bpe = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)},
                               merges=[tuple(m.split(" ", 1))
                                       for m in meta["tokenizer.ggml.merges"]]))
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    bpe.decoder = decoders.ByteLevel()
    bpe.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                            for i, kind in enumerate(types) if kind == CONTROL])
    token = {name: tokens[meta[f"tokenizer.ggml.{name}_token_id"]]
             for name in ("bos", "eos", "unknown", "padding")}
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=token["bos"],
                                  eos_token=token["eos"], unk_token=token["unknown"],
                                  pad_token=token["padding"])
    tok.chat_template = meta["tokenizer.chat_template"]
    return tok
