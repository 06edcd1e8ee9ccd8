"""The editor integration: ``pgverify lsp``, a language server over standard input and output.

* ``server``    the pygls server: diagnostics, hovers, quick fixes (needs ``pgverify[lsp]``)
* ``edits``     what it says and proposes, as text (suppression comments, a ``def``, hover text)
* ``commands``  the ``lsp`` command, which the CLI adds to its app

Nothing here is imported by ``import pgverify``; pygls is imported only when the server starts.
"""
