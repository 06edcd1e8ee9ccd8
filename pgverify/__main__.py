"""``python -m pgverify``: the same as the ``pgverify`` command."""

import gc

if __name__ == "__main__":
    # no collection while the CLI loads (pgverify.cliargs.collect_after_start_up); main() turns it back on
    # for a command other than a plain `check`
    gc.disable()

from .cli import main  # after the collector is off

if __name__ == "__main__":
    main()
