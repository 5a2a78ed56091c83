"""``hypercorn jeeves_frontend.asgi:app`` — settings from the environment."""

from jeeves_frontend.app import create_app

app = create_app()
