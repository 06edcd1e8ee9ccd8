"""The .pgv front end: text → model, one logical line at a time.

* ``lines``    cutting a file into logical lines
* ``parse``    one line with lark (``grammars/pgverify.lark``)
* ``builder``  the lark tree → model nodes
* ``errors``   the error catalogue: parse errors worded, with a caret line
* ``files``    a whole file: statements assembled into derivations
"""

from __future__ import annotations

from .builder import name_from_text, param_from_text
from .errors import ParseFailure
from .files import parse_file, parse_source
from .lines import KEYWORDS, LogicalLine, logical_lines
from .parse import parse_expression, parse_line

__all__ = ["KEYWORDS", "LogicalLine", "ParseFailure", "logical_lines", "name_from_text", "param_from_text",
           "parse_expression", "parse_file", "parse_line", "parse_source"]
