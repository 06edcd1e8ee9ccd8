"""``pgverify lsp``: the language server's command, added to the CLI's app by :func:`register`."""

from __future__ import annotations

import typer

from ..report import EXIT_ERROR


def lsp() -> None:
    """Run the language server over standard input and output (for an editor to start)."""
    try:
        from .server import serve
    except ModuleNotFoundError as err:
        if err.name and err.name.split(".")[0] in ("pygls", "lsprotocol", "cattrs"):
            typer.echo(f"pgverify: the language server needs {err.name}: pip install 'pgverify[lsp]'", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        raise
    serve()


def register(app: typer.Typer) -> None:
    """Add ``lsp`` to the CLI."""
    app.command("lsp", help="Run the language server (diagnostics, hovers, quick fixes) over stdio.")(lsp)
