# innov: the Slack bot in HTTP mode (or Socket Mode with SLACK_APP_TOKEN), as a non-root user.
#   docker build -t innov .   |   docker compose up --build   (see README "Deploy with Docker")

# ---- builder: a virtual environment with the dependencies, then the project -------------------------
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, from pyproject.toml alone, so this layer is reused until they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install -r requirements.txt
# Then the code; --no-deps because everything it needs is already installed above.
COPY README.md ./
COPY knowledge ./knowledge
COPY bot ./bot
COPY handlers ./handlers
RUN pip install --no-deps .

# ---- runtime: the virtual environment and the knowledge base, nothing else --------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    INNOV_KNOWLEDGE_DIR=/app/seeds \
    PORT=3000
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin innov
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The knowledge base ships in the image; mount another directory and set INNOV_KNOWLEDGE_DIR to override.
COPY --chown=innov:innov seeds ./seeds
USER innov
EXPOSE 3000
# The slim image has no curl: ask /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"
CMD ["innov", "serve"]
