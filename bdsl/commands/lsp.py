"""`bdsc lsp`: the .bds language server, speaking LSP over stdin/stdout."""

from __future__ import annotations

import click


@click.command("lsp")
@click.option("--stdio", is_flag=True,
              help="Accepted for editors that pass it; stdio is the only transport.")
def lsp_cmd(stdio: bool) -> None:
    """Run the language server (diagnostics, hover, completion, definition, outline,
    formatting) for editors; see docs/editors.md."""
    from bdsl.commands._common import allow_outside
    from bdsl.lsp.server import serve

    serve(allow_outside())
