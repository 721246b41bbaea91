# innov: the Slack bot in HTTP mode (or Socket Mode with SLACK_APP_TOKEN), as a non-root user, under tini.
#   docker build -t innov .   |   docker compose up --build   (see docs/operations.md, "Deploy with Docker")

# ---- builder: a virtual environment with the dependencies, then the project -------------------------
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, pinned by the lock file (`make lock` writes it from pyproject.toml), so builds are
# reproducible and this layer is reused until the lock changes.
COPY requirements.lock ./
RUN pip install -r requirements.lock
# Then the code; --no-deps because everything it needs is already installed above, at the locked versions.
COPY pyproject.toml README.md ./
COPY knowledge ./knowledge
COPY bot ./bot
COPY handlers ./handlers
RUN pip install --no-deps .

# ---- runtime: the virtual environment and the knowledge base, nothing else --------------------------
FROM python:3.11-slim
# tini as PID 1: it forwards SIGTERM to innov (which stops gracefully) and reaps zombies; a Python
# process as PID 1 would get no default signal handling from the kernel.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
# (INNOV_MODEL_CACHE: the embedding model innov runs is derived from the pinned file once, below.)
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    INNOV_KNOWLEDGE_DIR=/app/seeds \
    INNOV_MODEL_CACHE=/app/.cache/innov \
    PORT=3000
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin innov
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The knowledge base ships in the image; mount another directory and set INNOV_KNOWLEDGE_DIR to override.
COPY --chown=innov:innov seeds ./seeds
# The embedding model innov runs is derived from the pinned file once (knowledge/derived_model.py): derived
# here, at build time, into the image, so that no container start derives it again (3 s) in /tmp.
RUN mkdir -p /app/.cache && chown innov:innov /app/.cache
USER innov
RUN python -c "from knowledge.embedding import default_embedder, semantic_status; \
assert default_embedder() is not None, semantic_status()"
EXPOSE 3000
# The slim image has no curl: ask /healthz with the standard library (served in HTTP and Socket Mode alike).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["innov", "serve"]
