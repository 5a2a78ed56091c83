"""``python -m jeeves`` is the ``jeeves`` command."""

from jeeves.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
