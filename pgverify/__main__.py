"""``python -m pgverify``: the same as the ``pgverify`` command."""

from .cli import main

if __name__ == "__main__":
    main()
