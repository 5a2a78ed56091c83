"""The Data Service: the only owner of Jeeves' database, behind a JWT-protected JSON API.

:func:`dataservice.app.create_app` builds the Quart app; :func:`dataservice.migrate.upgrade` brings
a database to the newest schema (``jeeves db upgrade``).
"""
