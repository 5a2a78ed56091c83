"""The TokenDealer: OAuth2 client-credentials grant, signed JWT access tokens, a JWKS.

See ``docs/tokendealer.md``. Entry points: :func:`tokendealer.app.create_app`,
:func:`tokendealer.clients.hash_secret`, :func:`tokendealer.keys.generate_key_pem`.
"""
