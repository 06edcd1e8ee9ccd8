"""The version of pgverify: a leaf module (it imports nothing), so anything may import it.

pyproject.toml reads the version from here too, so it is written in one place.
"""

__version__ = "0.1.0"
