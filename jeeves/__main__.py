"""``python -m jeeves`` is the ``jeeves`` command."""

from jeeves.cli import main

raise SystemExit(main())
