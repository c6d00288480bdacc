"""Test doubles a user can run too: `bdsl.testing.mock_openai`, a local OpenAI-compatible
server (see its docstring and docs/performance.md).

Names are loaded on first use, so `python -m bdsl.testing.mock_openai` runs cleanly.
"""

from importlib import import_module

_HOMES = {"MockServer": "mock_openai", "MockConfig": "mock_config", "Fault": "mock_config",
          "Latency": "mock_config", "Outcome": "mock_log", "Entry": "mock_log",
          "RequestLog": "mock_log", "Stats": "mock_log"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(f"bdsl.testing.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'bdsl.testing' has no attribute {name!r}")
