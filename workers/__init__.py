"""Worker kinds: each consumes its own durable queue and runs ``handle(message, deps)``."""
