"""A test editor: drives `bdsc lsp` in a subprocess over stdio with pygls' client, the
way VS Code or Neovim would (initialize, didOpen/didChange, requests, shutdown)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

TIMEOUT = 30


class Editor:
    def __init__(self, client: LanguageClient):
        self.client = client
        self.diagnostics: dict[str, list[lsp.PublishDiagnosticsParams]] = defaultdict(list)
        self.messages: list[str] = []
        self.versions: dict[str, int] = {}
        self._arrived = asyncio.Event()

    def on_diagnostics(self, params: lsp.PublishDiagnosticsParams) -> None:
        self.diagnostics[params.uri].append(params)
        self._arrived.set()

    async def wait_diagnostics(self, uri: str, version: int | None = None,
                               count: int = 1) -> list[lsp.Diagnostic]:
        """The diagnostics of the `count`-th publication for `uri` (at `version`, if given)."""
        async def arrived():
            while True:
                got = [p for p in self.diagnostics[uri]
                       if version is None or p.version == version]
                if len(got) >= count:
                    return list(got[count - 1].diagnostics)
                self._arrived.clear()
                await self._arrived.wait()
        return await asyncio.wait_for(arrived(), TIMEOUT)

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri, "bds", 1, path.read_text() if text is None else text)))
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    def _at(self, uri, line, character):
        return dict(text_document=lsp.TextDocumentIdentifier(uri),
                    position=lsp.Position(line, character))

    async def hover(self, uri, line, character) -> lsp.Hover | None:
        return await asyncio.wait_for(self.client.text_document_hover_async(
            lsp.HoverParams(**self._at(uri, line, character))), TIMEOUT)

    async def definition(self, uri, line, character):
        return await asyncio.wait_for(self.client.text_document_definition_async(
            lsp.DefinitionParams(**self._at(uri, line, character))), TIMEOUT)

    async def complete(self, uri, line, character) -> list[lsp.CompletionItem]:
        result = await asyncio.wait_for(self.client.text_document_completion_async(
            lsp.CompletionParams(**self._at(uri, line, character))), TIMEOUT)
        return result.items if isinstance(result, lsp.CompletionList) else result or []

    async def symbols(self, uri) -> list[lsp.DocumentSymbol]:
        return await asyncio.wait_for(self.client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri))), TIMEOUT)

    async def format(self, uri) -> list[lsp.TextEdit] | None:
        return await asyncio.wait_for(self.client.text_document_formatting_async(
            lsp.DocumentFormattingParams(lsp.TextDocumentIdentifier(uri),
                                         lsp.FormattingOptions(tab_size=2, insert_spaces=True))),
            TIMEOUT)


@asynccontextmanager
async def editor(cwd: Path):
    """An initialized session with `bdsc lsp`, shut down cleanly on exit."""
    client = LanguageClient("bdsl-test-editor", "1")
    ed = Editor(client)
    client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda p: ed.on_diagnostics(p))
    client.feature(lsp.WINDOW_SHOW_MESSAGE)(lambda p: ed.messages.append(p.message))
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True")
    await client.start_io(sys.executable, "-m", "bdsl", "lsp", cwd=str(cwd), env=env)
    try:
        await asyncio.wait_for(client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=cwd.resolve().as_uri())), TIMEOUT)
        client.initialized(lsp.InitializedParams())
        yield ed
    finally:
        try:
            await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
            client.exit(None)
        finally:
            await client.stop()
