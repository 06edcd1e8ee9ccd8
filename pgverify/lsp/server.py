"""The language server (pygls): diagnostics as the writer types, hovers on steps, quick fixes.

A document is checked when it is opened and saved, and a short while after the
last change (:data:`DEBOUNCE` seconds: typing does not start a check per key).
Checks run one at a time in a worker thread, so the server keeps answering;
a result for a text that has changed since is thrown away.  The settings are
the nearest configuration's (``[tool.pgverify]`` or ``pgverify.toml`` above
the file), as for ``pgverify check``.

Positions: pgverify counts columns in characters, the protocol in UTF-16
code units; :func:`_utf16` converts.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .._version import __version__
from ..buffer import Fault, check_buffer, faults, file_line, settings_for
from ..report import Report
from ..results import DerivationResult, StepResult
from . import edits

DEBOUNCE = 0.4     # seconds of quiet after a change before the text is checked
SOURCE = "pgverify"
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "refuted": types.DiagnosticSeverity.Error,
             "goal": types.DiagnosticSeverity.Error, "note": types.DiagnosticSeverity.Information}


class PgverifyServer(LanguageServer):
    """The server and what it remembers of each open document: its last report and pending check."""

    def __init__(self) -> None:
        super().__init__("pgverify", __version__)
        self.reports: dict[str, tuple[str, Report]] = {}    # uri -> (the text checked, its report)
        self.pending: dict[str, asyncio.Task] = {}
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pgverify-check")


server = PgverifyServer()


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def _utf16(line: str, column: int) -> int:
    """A character column (0-based) of ``line`` as the protocol's UTF-16 offset."""
    return len(line[:column].encode("utf-16-le")) // 2


def _check(text: str, path: str) -> Report:
    chosen = settings_for(Path(path))
    return check_buffer(text, path, chosen.options, chosen.read_options, fail_on=chosen.fail_on)


def _derivation_of(report: Report, step: StepResult) -> DerivationResult | None:
    return next((d for f in report.files for d in f.derivations if any(s is step for s in d.steps)), None)


def diagnostics(text: str, report: Report) -> list[types.Diagnostic]:
    """The report's faults as diagnostics, each from its column to the end of its line."""
    lines = text.splitlines()
    out = []
    for fault in faults(report):
        row = max(fault.line - 1, 0)
        line = lines[row] if row < len(lines) else ""
        start = _utf16(line, max(fault.column - 1, 0))
        end = max(_utf16(line, len(line)), start)
        derivation = _derivation_of(report, fault.step) if fault.step else None
        out.append(types.Diagnostic(
            range=types.Range(types.Position(row, start), types.Position(row, end)),
            message=fault.message, source=SOURCE, code=fault.name or fault.kind,
            severity=_SEVERITY.get(fault.kind, types.DiagnosticSeverity.Warning),
            data={"name": fault.name or fault.kind, "line": fault.line,
                  "derivation": derivation.line if derivation else None}))
    return out


async def _check_and_publish(ls: PgverifyServer, uri: str, delay: float) -> None:
    if delay:
        await asyncio.sleep(delay)
    document = ls.workspace.get_text_document(uri)
    text, version = document.source, document.version
    try:
        report = await asyncio.get_running_loop().run_in_executor(ls.executor, _check, text, _path(uri))
    except Exception as err:   # noqa: BLE001 - a failed check is a message to the user, never a dead server
        ls.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"pgverify: {err}"))
        return
    current = ls.workspace.get_text_document(uri)
    if current.source != text:
        return   # changed while it was checked: the newer check publishes
    ls.reports[uri] = (text, report)
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics(text, report), version=version))


def schedule(ls: PgverifyServer, uri: str, delay: float) -> None:
    """Check the document after ``delay`` seconds, cancelling a check that has not started yet."""
    old = ls.pending.pop(uri, None)
    if old is not None and not old.done():
        old.cancel()
    ls.pending[uri] = asyncio.ensure_future(_check_and_publish(ls, uri, delay))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PgverifyServer, params: types.DidOpenTextDocumentParams) -> None:
    schedule(ls, params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PgverifyServer, params: types.DidChangeTextDocumentParams) -> None:
    schedule(ls, params.text_document.uri, DEBOUNCE)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PgverifyServer, params: types.DidSaveTextDocumentParams) -> None:
    schedule(ls, params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PgverifyServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.reports.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def step_at(report: Report, line: int) -> StepResult | None:
    """The step written at ``line`` (1-based, of the file): the last step starting at or before it, in its
    derivation (in a notebook, the lines of its JSON)."""
    best: StepResult | None = None
    for f in report.files:
        for d in f.derivations:
            starts = [file_line(f, s.line) for s in d.steps]
            for k, s in enumerate(d.steps):
                after = starts[k + 1] if k + 1 < len(starts) else starts[k] + 1
                if starts[k] <= line < max(after, starts[k] + 1):
                    best = s
    return best


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: PgverifyServer, params: types.HoverParams) -> types.Hover | None:
    found = ls.reports.get(params.text_document.uri)
    if found is None:
        return None
    step = step_at(found[1], params.position.line + 1)
    if step is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=edits.hover(step)))


def _insert(uri: str, insertion: edits.Insertion, diagnostic: types.Diagnostic) -> types.CodeAction:
    at = types.Position(insertion.line, 0)
    edit = types.WorkspaceEdit(changes={uri: [types.TextEdit(types.Range(at, at), insertion.text)]})
    return types.CodeAction(title=insertion.title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                            edit=edit)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: PgverifyServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    found = ls.reports.get(uri)
    out: list[types.CodeAction] = []
    for diagnostic in params.context.diagnostics:
        data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
        if diagnostic.source != SOURCE or not data.get("name") or data.get("name") == "note":
            continue
        if data["name"] != "error":
            insertion = edits.suppression(_path(uri), text, int(data["line"]), str(data["name"]))
            if insertion is not None:
                out.append(_insert(uri, insertion, diagnostic))
        if found is not None and data.get("derivation"):
            step = step_at(found[1], int(data["line"]))
            if step is not None:
                insertion = edits.definition(_path(uri), text, int(data["derivation"]), step)
                if insertion is not None:
                    out.append(_insert(uri, insertion, diagnostic))
    return out


def serve() -> None:
    """Speak the protocol over standard input and output until the client says exit."""
    server.start_io()


__all__ = ["DEBOUNCE", "Fault", "PgverifyServer", "serve", "server"]
