"""The review TUI (Textual). Imported only by `bdsc review`."""
