"""A file's lines held as the file's one text and where each line starts (``SourceFile.lines`` of a note).

A tuple of line strings costs an object of its own per line (some 50 bytes besides the characters, and a
second copy of every character); a note of many short lines then costs a few times its size for its lines
alone.  :class:`Lines` keeps the text the reader was given (the same string, no copy) and an array of
4-byte offsets, and cuts a line out when one is asked for (a message's context line, a look-alike's text).

It reads like the tuple it replaces: indexing (negative too), slicing (a tuple), ``len``, iteration, and
equality with a tuple or a list of the same lines; ``repr`` is the tuple's.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from typing import overload

from .records import finish, record


@record(eq=False, slots=False)
class Lines(Sequence[str]):
    """The lines of ``text`` cut at ``"\\n"`` (what ``text.split("\\n")`` gives), without a string per line.

    ``text`` is the only field, so a copy with another text (the report's control characters escaped, a
    result read back from the check cache) is a valid ``Lines`` of that text: the offsets are found again
    whenever the text they were found in is not this one.
    """

    text: str

    def _starts(self) -> array:
        found = self.__dict__.get("_index")
        if found is None or found[0] is not self.text:
            starts = array("I" if len(self.text) < 1 << 32 else "q", [0])
            i = self.text.find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = self.text.find("\n", i + 1)
            found = (self.text, starts)
            object.__setattr__(self, "_index", found)   # a cache in a frozen record: the same offsets every time
        return found[1]

    def __len__(self) -> int:
        return len(self._starts())

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self[k] for k in range(*index.indices(len(self))))
        starts = self._starts()
        k = index + len(starts) if index < 0 else index
        if not 0 <= k < len(starts):
            raise IndexError("line index out of range")
        end = starts[k + 1] - 1 if k + 1 < len(starts) else len(self.text)
        return self.text[starts[k]:end]

    def __iter__(self) -> Iterator[str]:
        return iter(self.text.split("\n"))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lines):
            return self.text == other.text
        if isinstance(other, (tuple, list)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))   # equal to the tuple it equals, as a tuple's hash would be

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __bool__(self) -> bool:
        return True   # "".split("\n") is [""]: a text always has one line at least


finish(__name__)   # Lines's __init__ and frozen attributes (see model/records.py)
