# The two commands of the README, and a few more for developers.
#   make dev   — run Jeeves (jeeves dev: one process, in-memory bus, chat page)
#   make test  — the whole test suite: lint, types, docs and pytest (real RabbitMQ and PostgreSQL),
#                with branch coverage and its floor (scripts/test)
#   make image — the container image (Dockerfile), tagged jeeves:<version>

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: dev test install lint typecheck docs bench lock clean image

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# exec: jeeves itself is make's child, so the SIGTERM make passes on reaches it (a shell in
# between would die and leave it serving; tests/jeeves/test_make_dev.py).
dev: $(STAMP)
	exec $(BIN)/jeeves dev

test: $(STAMP)
	scripts/test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

docs: $(STAMP)
	rm -rf docs/api docs/_build
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

bench: $(STAMP)
	$(BIN)/python -m bench.frontdoor

# The one container image of every service (Dockerfile). CONTAINER is docker, podman or buildah.
CONTAINER ?= docker
IMAGE     ?= jeeves:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
image:
	$(CONTAINER) build --tag $(IMAGE) .

# Re-pin every dependency after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check > constraints.txt

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache .ruff_cache .coverage
