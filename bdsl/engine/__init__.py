"""The generation engine: executes a Plan into the run store (see executor.py)."""
