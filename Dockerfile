# One image for every Jeeves service and worker kind: `jeeves serve <service>`,
# `jeeves worker <kind>`, `jeeves db upgrade`, `jeeves dev`. Build with `make image`.
#
# BASE_IMAGE is any Debian-based image with Python 3.11 and its venv module: the official slim
# image by default; the offline test (tests/deploy/test_image.py) builds on a Debian rootfs made
# by mmdebstrap instead, since no registry is reachable there. Both stages use the same base, so
# the virtualenv's interpreter link is valid in the final stage.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

# --- build: the virtualenv with Jeeves and its pinned dependencies (constraints.txt) ----------
FROM ${BASE_IMAGE} AS build
# Only when the build needs a CA bundle of its own (a TLS-inspecting proxy): a path inside the
# build, e.g. a file mounted with `--volume`. Unset, pip uses its own bundle.
ARG PIP_CERT
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY jeeves ./jeeves
COPY jeeves_shared ./jeeves_shared
COPY jeeves_frontend ./jeeves_frontend
COPY dataservice ./dataservice
COPY tokendealer ./tokendealer
COPY workers ./workers
# No dev extras: tests, linters and docs tools stay out. pip, setuptools and wheel are removed
# from the virtualenv once it is built: nothing installs packages at run time. pip compiles the
# bytecode now, because the pods' root filesystem is read-only.
RUN python3 -m venv /opt/jeeves \
    && /opt/jeeves/bin/pip install -c constraints.txt . \
    && /opt/jeeves/bin/pip uninstall --yes pip setuptools wheel

# --- runtime -------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="jeeves" \
      org.opencontainers.image.description="Jeeves, a Slack assistant bot: every service and worker" \
      org.opencontainers.image.licenses="MIT"
# A fixed uid/gid (10001, outside the range of the base image's users) so that Kubernetes'
# runAsUser/runAsGroup/fsGroup can name it and runAsNonRoot can check it.
RUN groupadd --system --gid 10001 jeeves \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/jeeves \
       --shell /usr/sbin/nologin jeeves
COPY --from=build /opt/jeeves /opt/jeeves
ENV PATH=/opt/jeeves/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
# `jeeves dev` keeps its SQLite file under $HOME/.local/share/jeeves (writable by this user).
WORKDIR /home/jeeves
# frontend, dataservice, tokendealer, a worker's health server (the Kubernetes objects' ports).
EXPOSE 8000 8002 8003 8081
# Kubernetes probes each process on its own port and path (/healthz, /readyz); a Docker
# HEALTHCHECK would have to guess which command this container runs.
HEALTHCHECK NONE
ENTRYPOINT ["jeeves"]
CMD ["--help"]
