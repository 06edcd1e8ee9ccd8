"""The language server, in a real session: `pgverify lsp` in a subprocess, pygls's client over stdio.

A refuted step gives a diagnostic at its line; hovering it shows the verdict,
the sides and the counterexample; the quick fix's comment, applied, silences
it; a `def` quick fix, applied, makes the step proved.  Then `check --watch`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from pgverify.lsp import edits
from pgverify.readers import read

types = pytest.importorskip("lsprotocol.types", reason="the language server needs pip install 'pgverify[lsp]'")
LanguageClient = pytest.importorskip("pygls.lsp.client").LanguageClient

PGV = """use rl
dist β(a | s)
fun f(a)

derivation "The distribution changed, no weight"
    E_{a ~ π_θ(·|s)}[ f(a) ]
  = E_{a ~ β(·|s)}[ f(a) ]   by importance-sampling
"""

UNDEFINED = """derivation "unfold"
    g(x)
  = x^2 + 1   by definition
"""

MARKDOWN = """# Notes

The log of a product:

$$
\\begin{aligned}
\\log (x y) &= \\log x \\cdot \\log y
\\end{aligned}
$$
"""

LATEX = """\\section{Logs}
\\begin{align*}
x + x &= 2 x \\\\
  &= 3 x
\\end{align*}
"""

REST = """Logs
====

.. math::

   x + x &= 2 x \\\\
     &= 3 x
"""


class Session:
    """A client talking to `pgverify lsp`, collecting the diagnostics it publishes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("pgverify-test", "1")
        self.published: dict[str, list[list]] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(list(params.diagnostics))

        self.messages: list[str] = []

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def show(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "pgverify", "lsp", cwd=str(self.root))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=self.root.as_uri(), process_id=os.getpid()))
        self.client.initialized(types.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    def open(self, name: str, text: str, language: str = "plaintext") -> str:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def diagnostics(self, uri: str, count: int = 1, timeout: float = 120) -> list:
        """The diagnostics of the `count`-th publication for `uri`."""
        deadline = time.monotonic() + timeout
        while len(self.published.get(uri, [])) < count:
            assert time.monotonic() < deadline, f"no diagnostics published for {uri}: {self.messages}"
            await asyncio.sleep(0.05)
        return self.published[uri][count - 1]


def run_session(root: Path, body: Callable[[Session], Awaitable[None]]) -> None:
    async def main() -> None:
        session = Session(root)
        await session.start()
        try:
            await asyncio.wait_for(body(session), timeout=300)
        finally:
            await session.stop()
    asyncio.run(main())


def apply(text: str, action) -> str:
    """A quick fix's edit applied to the text (insertions at the start of a line, as the server makes them)."""
    ((_, changes),) = action.edit.changes.items()
    lines = text.splitlines(keepends=True)
    for change in sorted(changes, key=lambda c: c.range.start.line, reverse=True):
        assert change.range.start == change.range.end and change.range.start.character == 0
        lines.insert(change.range.start.line, change.new_text)
    return "".join(lines)


def code_actions(session: Session, uri: str, diagnostic):
    return session.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))


def test_a_session_reports_hovers_and_fixes_a_refuted_step(tmp_path: Path) -> None:
    async def body(session: Session) -> None:
        uri = session.open("notes.pgv", PGV)
        (diagnostic,) = await session.diagnostics(uri)
        assert diagnostic.range.start.line == 6          # line 7 of the file, 0-based
        assert diagnostic.severity == types.DiagnosticSeverity.Error and diagnostic.source == "pgverify"
        assert "refuted" in diagnostic.message
        hover = await session.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(6, 8)))
        shown = hover.contents.value
        assert "✗ refuted" in shown and "left:" in shown and "right:" in shown and "β" in shown
        assert "counterexample" in shown and "left side" in shown
        # no hover on the derivation's title line
        none = await session.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(4, 3)))
        assert none is None
        # the quick fix's comment, applied and sent as a change, silences the fault (after the debounce)
        (action,) = [a for a in await code_actions(session, uri, diagnostic) if "Ignore" in a.title]
        fixed = apply(PGV, action)
        assert "# pgverify: ignore[" in fixed
        session.change(uri, fixed, 2)
        assert await session.diagnostics(uri, 2) == []
        # and the fault comes back when the comment is taken out again
        session.change(uri, PGV, 3)
        assert len(await session.diagnostics(uri, 3)) == 1

    run_session(tmp_path, body)


def test_changes_are_debounced(tmp_path: Path) -> None:
    async def body(session: Session) -> None:
        uri = session.open("fast.pgv", PGV)
        await session.diagnostics(uri)
        for version in range(2, 8):   # typing: six changes in quick succession, one check at the end
            session.change(uri, PGV + "\n" * version, version)
            await asyncio.sleep(0.02)
        await session.diagnostics(uri, 2)
        await asyncio.sleep(1.5)
        assert len(session.published[uri]) == 2

    run_session(tmp_path, body)


def test_a_def_quick_fix_defines_the_unfolded_function(tmp_path: Path) -> None:
    async def body(session: Session) -> None:
        uri = session.open("unfold.pgv", UNDEFINED)
        (diagnostic,) = await session.diagnostics(uri)
        (action,) = [a for a in await code_actions(session, uri, diagnostic) if a.title.startswith("Define")]
        fixed = apply(UNDEFINED, action)
        assert fixed.startswith("def g(x) = x^2 + 1\n")
        session.change(uri, fixed, 2)
        assert await session.diagnostics(uri, 2) == []

    run_session(tmp_path, body)


@pytest.mark.parametrize(("name", "text", "line", "comment"), [
    ("notes.md", MARKDOWN, 6, "% pgverify: ignore["),
    ("chapter.tex", LATEX, 3, "% pgverify: ignore["),
    ("page.rst", REST, 6, "% pgverify: ignore["),
], ids=["markdown", "latex", "rest"])
def test_notes_get_diagnostics_and_suppressions_in_their_own_syntax(tmp_path: Path, name: str, text: str,
                                                                    line: int, comment: str) -> None:
    async def body(session: Session) -> None:
        uri = session.open(name, text)
        found = await session.diagnostics(uri)
        refuted = [d for d in found if "refuted" in d.message]
        assert [d.range.start.line for d in refuted] == [line]
        (action,) = [a for a in await code_actions(session, uri, refuted[0]) if "Ignore" in a.title]
        fixed = apply(text, action)
        assert comment in fixed
        session.change(uri, fixed, 2)
        assert [d for d in await session.diagnostics(uri, 2) if "refuted" in d.message] == []

    run_session(tmp_path, body)


def test_a_notebook_gets_diagnostics_at_its_json_line(tmp_path: Path) -> None:
    """The notebook fixture, with the macros its course's configuration names (the server reads it)."""
    notes = Path(__file__).parent / "notes"
    (tmp_path / "macros.tex").write_text((notes / "macros.tex").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.pgverify]\nmacros = "macros.tex"\n', encoding="utf-8")
    notebook = (notes / "reinforce_lab.ipynb").read_text(encoding="utf-8")
    want = set()
    for raw in (notes / "reinforce_lab.expect").read_text(encoding="utf-8").splitlines():
        fields = raw.split("#", 1)[0].split()
        if len(fields) > 1 and fields[1] == "refuted":
            cell, line = (int(x) for x in fields[0].split(":"))
            (found,) = [c for c in read(notes / "reinforce_lab.ipynb").cells if c.number == cell]
            want.add(found.file_lines[line - 1] - 1)   # the JSON line, 0-based
    assert want

    async def body(session: Session) -> None:
        uri = session.open("lab.ipynb", notebook)
        found = {d.range.start.line for d in await session.diagnostics(uri) if "refuted" in d.message}
        assert found == want

    run_session(tmp_path, body)


def test_suppression_comments_by_place() -> None:
    fenced = "# T\n\n```pgverify\nderivation \"d\"\n    x\n  = 2 x\n```\n"
    assert edits.suppression("a.md", fenced, 6, "refuted").text == "  # pgverify: ignore[refuted]\n"
    one_line = "# T\n\n$$ \\log(x y) = \\log x \\log y $$\n"
    assert edits.suppression("a.md", one_line, 3, "x").text == "<!-- pgverify: ignore[x] -->\n"
    assert edits.suppression("a.rst", "Title\n=====\n\ntext\n", 4, "x").text == ".. pgverify: ignore[x]\n"
    assert edits.suppression("a.ipynb", "{}\n", 1, "x") is None
    assert edits.suppression("a.pgv", "x\n", 1, "bad name]") is None   # nothing odd goes into a comment


# ----------------------------------------------------------------------------- check --watch


def test_check_watch_checks_again_after_a_change(tmp_path: Path) -> None:
    notes = tmp_path / "notes.pgv"
    notes.write_text(PGV, encoding="utf-8")
    out = tmp_path / "out.txt"
    with out.open("w", encoding="utf-8") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "pgverify", "check", "--watch", "--no-color", str(notes)],
                                cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
    try:
        def wait_for(count: int) -> str:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                text = out.read_text(encoding="utf-8")
                if text.count("Summary:") >= count:
                    return text
                assert proc.poll() is None, text
                time.sleep(0.1)
            raise AssertionError("no re-check within the time: " + out.read_text(encoding="utf-8"))

        first = wait_for(1)
        assert "1 refuted" in first
        fixed = PGV.replace("E_{a ~ β(·|s)}[ f(a) ]", "E_{a ~ π_θ(·|s)}[ f(a) ]").replace("importance-sampling", "algebra")
        notes.write_text(fixed, encoding="utf-8")
        later = time.time() + 5
        os.utime(notes, (later, later))   # a new modification time, whatever the file system's resolution
        second = wait_for(2)[len(first):]
        assert "changed; checking again" in second and "0 refuted" in second
    finally:
        proc.terminate()
        proc.wait(timeout=30)
