"""Terraform ``external`` program: the scrypt PHC hash of a client secret, with a given salt.

Reads ``{"secret": ..., "salt": <standard base64>}`` on stdin and prints ``{"hash": ...}``: the
``$scrypt$ln=14,r=8,p=1$<salt>$<hash>`` string (unpadded base64) that
``tokendealer.clients.verify_secret`` checks. Only the standard library, so it runs wherever
Terraform does; the salt comes from the state, so the hash is stable between plans.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys

LOG_N, R, P, LENGTH = 14, 8, 1, 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def phc_hash(secret: str, salt: bytes) -> str:
    """The PHC string of ``secret`` hashed with scrypt (N = 2**14, r = 8, p = 1) and ``salt``."""
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=2**LOG_N, r=R, p=P, maxmem=64 * 1024 * 1024, dklen=LENGTH
    )
    return f"$scrypt$ln={LOG_N},r={R},p={P}${_b64(salt)}${_b64(digest)}"


def main() -> None:
    """Answer Terraform's query on stdin with the hash on stdout."""
    query = json.load(sys.stdin)
    salt = base64.b64decode(query["salt"])
    json.dump({"hash": phc_hash(query["secret"], salt)}, sys.stdout)


if __name__ == "__main__":
    main()
