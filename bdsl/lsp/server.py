"""The pygls server: LSP messages in, plain functions from this package called, LSP out.

Checks run on one worker thread (the compiler is not shared between threads), so the
event loop keeps answering while a check runs; edits are debounced, and a result for a
buffer version that has since changed is dropped.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from bdsl import __version__
from bdsl.diagnostics import Diagnostic
from bdsl.lsp import cache
from bdsl.lsp.analysis import Analysis, analyze_recovering
from bdsl.lsp.complete import ItemKind, complete
from bdsl.lsp.hover import hover_markdown
from bdsl.lsp.locate import find
from bdsl.lsp.navigate import ModuleRef, resolve
from bdsl.lsp.outline import Outline, outline
from bdsl.lsp.paths import file_of_module, file_of_span_path, path_of_uri, uri_of
from bdsl.source import SourceFile, Span

DEBOUNCE_S = 0.2
COMPLETION_KINDS = {
    ItemKind.KIND: lsp.CompletionItemKind.Class, ItemKind.KEYWORD: lsp.CompletionItemKind.Keyword,
    ItemKind.FIELD: lsp.CompletionItemKind.Field, ItemKind.VALUE: lsp.CompletionItemKind.EnumMember,
    ItemKind.NAME: lsp.CompletionItemKind.Reference, ItemKind.MODULE: lsp.CompletionItemKind.Module,
}

log = logging.getLogger("bdsl.lsp")


class BdsLanguageServer(LanguageServer):
    def __init__(self):
        super().__init__("bdsc-lsp", __version__)
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bdsl-check")
        self.pending: dict[str, asyncio.Future] = {}
        self.analyses: dict[str, tuple[int | None, Analysis]] = {}
        self.last_parsed: dict[str, Analysis] = {}
        self.published: dict[str, set[str]] = {}  # root uri -> other uris it published to
        self.allow_outside = False  # `bdsc lsp --allow-outside`: imports may leave the project

    async def in_checker(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.checker, fn, *args)

    # -- diagnostics ------------------------------------------------------------------
    def schedule_check(self, uri: str, delay: float) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        from bdsl.compiler.pipeline import check_path

        await asyncio.sleep(delay)
        doc = self.workspace.get_text_document(uri)
        version, text = doc.version, doc.source
        result = await self.in_checker(functools.partial(
            check_path, allow_outside=self.allow_outside), path_of_uri(uri), text)
        if self.workspace.get_text_document(uri).version != version:
            return  # a newer edit is already scheduled
        by_uri = self.lsp_diagnostics(uri, result.diagnostics, result.sources)
        for other in self.published.get(uri, set()) - set(by_uri):
            self.publish(other, [], None)
        self.published[uri] = set(by_uri) - {uri}
        self.publish(uri, by_uri.pop(uri, []), version)
        for other, diags in by_uri.items():
            self.publish(other, diags, None)

    def publish(self, uri: str, diags: list[lsp.Diagnostic], version: int | None) -> None:
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))

    def lsp_diagnostics(self, root_uri: str, diags: tuple[Diagnostic, ...],
                        sources: dict[str, SourceFile]) -> dict[str, list[lsp.Diagnostic]]:
        root_file = path_of_uri(root_uri).resolve()
        out: dict[str, list[lsp.Diagnostic]] = {root_uri: []}
        for d in diags:
            if d.span is None:
                uri, rng = root_uri, lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
            else:
                uri = self.uri_for(d.span, root_file, root_uri)
                rng = self.to_range(sources.get(d.span.path), d.span)
            related = [lsp.DiagnosticRelatedInformation(
                lsp.Location(self.uri_for(r.span, root_file, root_uri),
                             self.to_range(sources.get(r.span.path), r.span)), r.message)
                for r in d.related]
            message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
            severity = (lsp.DiagnosticSeverity.Error if d.is_error
                        else lsp.DiagnosticSeverity.Warning)
            out.setdefault(uri, []).append(lsp.Diagnostic(
                range=rng, message=message, severity=severity, code=d.code, source="bdsc",
                related_information=related or None, data={"hint": d.hint}))
        return out

    @staticmethod
    def uri_for(span: Span, root_file: Path, root_uri: str) -> str:
        target = file_of_span_path(span.path)
        return root_uri if target == root_file else uri_of(target)

    def to_range(self, src: SourceFile | None, span: Span) -> lsp.Range:
        rng = lsp.Range(lsp.Position(span.line - 1, span.col - 1),
                        lsp.Position(span.end_line - 1, span.end_col - 1))
        if src is None:
            return rng
        return self.workspace.position_codec.range_to_client_units(src.text.split("\n"), rng)

    # -- analyses for navigation ------------------------------------------------------
    async def analysis(self, uri: str) -> Analysis:
        doc = self.workspace.get_text_document(uri)
        cached = self.analyses.get(uri)
        if cached is not None and cached[0] == doc.version and cached[1].text == doc.source:
            return cached[1]
        an = await self.in_checker(functools.partial(
            analyze_recovering, allow_outside=self.allow_outside), path_of_uri(uri), doc.source)
        self.analyses[uri] = (doc.version, an)
        if an.parsed:
            self.last_parsed[uri] = an
        return an

    def offset(self, uri: str, position: lsp.Position) -> int:
        return self.workspace.get_text_document(uri).offset_at_position(position)


def create_server(allow_outside: bool = False) -> BdsLanguageServer:
    cache.install()
    server = BdsLanguageServer()
    server.allow_outside = allow_outside

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: BdsLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule_check(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BdsLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule_check(params.text_document.uri, DEBOUNCE_S)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: BdsLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        for uri in list(ls.workspace.text_documents):  # a saved file may be imported by others
            ls.schedule_check(uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BdsLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        for other in ls.published.pop(uri, set()) | {uri}:
            ls.publish(other, [], None)
        ls.analyses.pop(uri, None)
        ls.last_parsed.pop(uri, None)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: BdsLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        an = await ls.analysis(uri)
        if not an.parsed:
            return None
        target = find(an.tree, ls.offset(uri, params.position) - an.shift)
        text = hover_markdown(an, target) if target else None
        if not text:
            return None
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text),
                         ls.to_range(an.root_source, target.span))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: BdsLanguageServer,
                         params: lsp.DefinitionParams) -> lsp.Location | None:
        uri = params.text_document.uri
        an = await ls.analysis(uri)
        if not an.parsed:
            return None
        target = find(an.tree, ls.offset(uri, params.position) - an.shift)
        found = resolve(an, target) if target else None
        if isinstance(found, ModuleRef):
            start = lsp.Position(0, 0)
            return lsp.Location(uri_of(file_of_module(found.key)), lsp.Range(start, start))
        if found is None:
            return None
        span = found.node.name.span
        root_file = path_of_uri(uri).resolve()
        return lsp.Location(ls.uri_for(span, root_file, uri),
                            ls.to_range(an.source(span.path), span))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["."]))
    async def completion(ls: BdsLanguageServer,
                         params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        doc = ls.workspace.get_text_document(uri)
        text, offset = doc.source, ls.offset(uri, params.position)
        an = await ls.in_checker(functools.partial(
            analyze_recovering, allow_outside=ls.allow_outside), path_of_uri(uri), text, offset)
        if an.parsed:
            ls.last_parsed[uri] = an
        else:
            an = ls.last_parsed.get(uri, an)
        result = complete(text, offset, an)
        edit_range = lsp.Range(doc.client_position_at_offset(result.start), params.position)
        items = [lsp.CompletionItem(
            label=c.label, kind=COMPLETION_KINDS[c.kind], detail=c.detail or None,
            documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, c.doc) if c.doc else None,
            sort_text=f"{c.sort}{c.label}", text_edit=lsp.TextEdit(edit_range, c.label))
            for c in result.items]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(ls: BdsLanguageServer, params: lsp.DocumentSymbolParams
                              ) -> list[lsp.DocumentSymbol]:
        an = await ls.analysis(params.text_document.uri)
        if an.tree is None:
            return []
        src = an.root_source

        def convert(o: Outline) -> lsp.DocumentSymbol:
            return lsp.DocumentSymbol(
                name=o.name, detail=o.detail or None, kind=o.kind,
                range=ls.to_range(src, o.span), selection_range=ls.to_range(src, o.selection),
                children=[convert(c) for c in o.children] or None)

        return [convert(o) for o in outline(an.tree)]

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: BdsLanguageServer,
                   params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        from bdsl.formatter import FormatError, format_source
        from bdsl.source import SourceError, decode_source

        uri = params.text_document.uri
        doc = ls.workspace.get_text_document(uri)
        try:
            formatted = format_source(decode_source(doc.source.encode(), str(path_of_uri(uri))))
        except (FormatError, SourceError) as exc:
            first = exc.diagnostics[0] if isinstance(exc, FormatError) else None
            where = f" ({first.code} at {first.span.line}:{first.span.col})" \
                if first is not None and first.span else ""
            ls.window_show_message(lsp.ShowMessageParams(
                lsp.MessageType.Warning, f"bdsc fmt: the file has syntax errors{where}"))
            return None
        if formatted == doc.source:
            return []
        whole = lsp.Range(lsp.Position(0, 0), doc.client_position_at_offset(len(doc.source)))
        return [lsp.TextEdit(whole, formatted)]

    return server


def serve(allow_outside: bool = False) -> None:
    logging.basicConfig(level=logging.WARNING)  # stderr: stdout carries the protocol
    create_server(allow_outside).start_io()
