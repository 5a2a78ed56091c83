"""``hypercorn tokendealer.asgi:app`` — settings from the environment."""

from tokendealer.app import create_app

app = create_app()
