"""Text → model: the two front ends and what they share.

* ``pgv/``          the .pgv language (lark parsing, tree builder, error catalogue)
* ``latex/``        LaTeX math in lecture notes (source locations, macros, rows and
  justifications, the tree builder)
* ``arithmetic``    the arithmetic tree builder and Greek spellings both front ends use
* ``grammars``      reading ``grammars/*.lark``

The .pgv front end's API is re-exported here: ``parse_source``, ``parse_file``,
``parse_line``, ``parse_expression``.
"""

from __future__ import annotations

from .pgv import (KEYWORDS, LogicalLine, ParseFailure, logical_lines, name_from_text, param_from_text,
                  parse_expression, parse_file, parse_line, parse_source)

__all__ = ["KEYWORDS", "LogicalLine", "ParseFailure", "logical_lines", "name_from_text", "param_from_text",
           "parse_expression", "parse_file", "parse_line", "parse_source"]
