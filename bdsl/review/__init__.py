"""Review actions over the run store, importable without textual (the TUI calls these)."""
