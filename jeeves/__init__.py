"""The ``jeeves`` command: the one place that composes the services into processes."""
