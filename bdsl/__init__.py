"""bdsl: a declarative language for multi-turn fine-tuning datasets."""

__version__ = "0.1.0"
