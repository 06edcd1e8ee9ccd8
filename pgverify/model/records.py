"""Records for the model's modules: :mod:`pgverify.records` (a leaf, so that modules below the model in the
layers can declare records too), re-exported here so that the model imports it from its own package."""

from __future__ import annotations

from ..records import finish, quick_pickling, record

__all__ = ["finish", "quick_pickling", "record"]
