"""`bdsc lsp`: a language server for .bds specs (pygls, stdio).

The server (server.py) only translates between LSP messages and plain functions:
  analysis.py   a buffer -> module graph and symbols (what navigation reads)
  locate.py     an offset -> the thing under the cursor, with its schema context
  navigate.py   that thing -> the declaration or module it names
  hover.py      markdown for declarations, fields, kinds, modules, gate checks
  complete.py   completion from the text before the cursor (works on broken buffers)
  outline.py    document symbols
Diagnostics are exactly `bdsc check`'s (compiler.pipeline.check_path on the buffer).
Nothing here imports litellm, textual or xllamacpp.
"""
