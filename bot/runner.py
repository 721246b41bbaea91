"""``innov serve``: Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP under gunicorn (gevent workers).

Process model (docs/operations.md, "Process model"):

- HTTP mode: a gunicorn master and ``WEB_CONCURRENCY`` workers (default: the number of cores). Each
  worker is an event loop (gevent): every connection is a cheap greenlet, so clients that trickle
  their headers or hold idle connections cost a little memory, never a thread that Slack's requests
  wait for. The worker builds its services and app after the fork (:func:`_serve_http`'s factory).
- HTTP mode's metrics are written by every worker to files and added up by ``/metrics``, whichever worker
  a scrape reaches (:func:`share_metrics_between_workers`).
- Socket Mode: one process; the Socket Mode client takes envelopes, a small threaded HTTP server serves
  ``/healthz`` and ``/metrics`` on ``PORT`` (so the image's ``HEALTHCHECK`` works in both modes).
- SIGTERM / SIGINT stop both gracefully: no new requests or envelopes, in-flight replies (the bounded
  background queue included) finish within :data:`GRACE_SECONDS`, the replica record is removed, exit 0.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from bot import logs
from bot.settings import Settings
from knowledge import KnowledgeBase

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from bot.background import BoundedExecutor
    from bot.services import Services
    from bot.slack_api import SlackApi

WSGIApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]

logger = logging.getLogger("innov.runner")

WORKER_CONNECTIONS = 10_000
"""Connections one gevent worker holds at once (idle and slow ones included); more wait in the backlog.
An idle connection costs a greenlet, a socket and a file descriptor: 5,000 idle connections added
78 MB to a worker (about 16 KB each; docs/operations.md), so 10,000 take some 160 MB at most, and ``bot.worker`` closes a connection that
has not sent its request head within ``INNOV_HEAD_SECONDS`` (10 s): 1,000 idle sockets a second never
fill a worker. At 1,000 a worker, 2,000 idle sockets held two workers' every slot for 30 s."""
FILE_HEADROOM = 256
"""File descriptors a worker needs beside its connections (the knowledge index, logs, Redis, the
Web API): the soft ``RLIMIT_NOFILE`` is raised to ``WORKER_CONNECTIONS`` plus this, within the hard limit."""
GRACE_SECONDS = 20
"""How long a stopping process gives in-flight replies (a 429's ``Retry-After`` included) to finish.
Below Docker's and Kubernetes' default 30 s between SIGTERM and SIGKILL."""


class JsonGunicornLogger(glogging.Logger):  # gunicorn ships no type hints: its Logger is Any
    """gunicorn's logger writing innov's JSON log lines (``bot.logs.json_formatter``), so its own lines
    (start, workers booting, signals) are not plain text in the middle of the JSON log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(logs.json_formatter())


class GunicornServer(BaseApplication):  # gunicorn ships no type hints: BaseApplication is Any
    """gunicorn, configured in code, serving the WSGI app ``factory`` builds in each worker after the fork.

    Building per worker matters: the services' Redis connections and reload-listener thread must
    not be shared across a fork, and the gevent worker patches the standard library when it starts.
    Anything built before :meth:`run` (in the master) is inherited by every worker through the factory's
    closure, which is where a knowledge base loaded once belongs.
    """

    def __init__(
        self,
        factory: Callable[[], WSGIApp],
        options: dict[str, Any],
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self._factory = factory
        self._options = options
        self._on_exit = on_exit
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)
        if self._on_exit is not None:
            on_exit = self._on_exit
            self.cfg.set("worker_exit", lambda server, worker: on_exit())
        self.cfg.set("child_exit", lambda server, worker: _worker_exited(worker.pid))

    def load(self) -> WSGIApp:
        return self._factory()


def gunicorn_options(
    port: int, *, threads: int | None = None, log_level: str = "info", head_seconds: float | None = None
) -> dict[str, Any]:
    """gunicorn settings for innov: gevent workers, bounded keep-alive, graceful stop, quiet access log.

    Why gevent rather than threads: a threaded worker gives each connection a thread while it reads
    the request, so 8 clients sending a header byte a second took all 8 threads and Slack's requests
    waited (24 s behind 50 idle connections in one measurement). An event-loop worker reads all of them
    at once; only the app's own work runs one request at a time per greenlet. ``threads`` only matters
    to callers that switch ``worker_class`` back to ``gthread`` (gevent workers ignore it).
    ``head_seconds`` (``INNOV_HEAD_SECONDS``) bounds a request's head; the workers fork with it set.
    """
    from bot import worker  # (gevent is imported only where HTTP is served)

    if head_seconds is not None:
        worker.HEAD_SECONDS = head_seconds
    _raise_file_limit(WORKER_CONNECTIONS + FILE_HEADROOM)

    return {
        "bind": f"{os.environ.get('HOST', '0.0.0.0')}:{port}",
        "worker_class": "bot.worker.InnovWorker",  # gevent workers serving through pywsgi (bot.worker)
        "worker_connections": WORKER_CONNECTIONS,
        "threads": threads,
        "workers": default_workers(),
        "keepalive": max(1, int(worker.HEAD_SECONDS)),
        "timeout": 30,
        "graceful_timeout": GRACE_SECONDS,
        "loglevel": log_level.lower(),
        "logger_class": JsonGunicornLogger,
        "accesslog": None,
        "proc_name": "innov",
        # No gunicornc control socket (gunicorn 25.1+): innov reloads through /innov reload and Redis, and
        # every instance on a host shared one default path ($HOME/.gunicorn/gunicorn.ctl), so stopping
        # one removed another's; the socket's thread in the master would also be one more across fork.
        "control_socket_disable": True,
    }


def serve(settings: Settings) -> None:
    """Run the Slack bot until stopped: Socket Mode with ``SLACK_APP_TOKEN``, else HTTP on ``PORT``."""
    # Fail fast, in the parent, on missing credentials or a broken knowledge base (with no last good index).
    if settings.slack_bot_token is None:
        raise SystemExit("innov serve: SLACK_BOT_TOKEN is not set (run `innov console` to try innov locally)")
    if settings.redis_url is not None:
        from bot.redis_store import database_problem

        if (problem := database_problem(settings.redis_url)) is not None:
            raise SystemExit(f"innov serve: {problem}")
    if settings.slack_app_token is not None:
        _serve_socket_mode(settings, serving_knowledge(settings))
        return
    if settings.slack_signing_secret is None:
        raise SystemExit(
            "innov serve: SLACK_SIGNING_SECRET is not set; HTTP mode needs it "
            "(or set SLACK_APP_TOKEN to use Socket Mode)"
        )
    master = os.getpid()
    metrics_dir, created = share_metrics_between_workers()
    try:
        # The master forks the workers: it never runs the embedding model itself (see knowledge.embedding).
        from knowledge import embedding

        embedding.forks_workers()
        _serve_http(settings, serving_knowledge(settings))  # loaded in the master: the workers inherit it
    finally:
        # A worker leaves through here too (its SystemExit climbs the stack it forked from): not its job.
        if created and os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def share_metrics_between_workers() -> tuple[Path, bool]:
    """Switch this process, and the workers it forks, to prometheus-client's multiprocess mode, so that
    ``/metrics`` adds every worker up whichever one a scrape reaches (see ``bot.metrics``).

    Runs before ``bot.metrics`` is imported (its metrics pick their storage when they are created). The
    directory is ``PROMETHEUS_MULTIPROC_DIR`` when the operator set it (its ``*.db`` files from an earlier
    run are removed, or their values would carry over), else a new temporary one. Returns the directory
    and whether it was created here (removed again when the server stops).
    """
    if "bot.metrics" in sys.modules:
        raise RuntimeError("multiprocess metrics must be set up before bot.metrics is imported")
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="innov-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    from prometheus_client import values

    values.ValueClass = values.MultiProcessValue()  # prometheus_client read the variable when imported
    return directory, not configured


def _worker_exited(pid: int) -> None:
    """In gunicorn's master, when a worker exited: its live gauges stop counting."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


# -- Socket Mode -------------------------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # probes would drown the log
        logger.debug("health server: " + format, *args)


def start_health_server(settings: Settings, services: Services, slack: SlackApi | None = None) -> WSGIServer:
    """Serve ``/healthz`` and ``/metrics`` (no Slack route) on ``HOST:PORT`` in a daemon thread."""
    from bot.web import HealthWSGI

    host = os.environ.get("HOST", "0.0.0.0")
    try:
        server = make_server(
            host,
            settings.port,
            HealthWSGI(services, slack),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
    except OSError as exc:  # a port in use, a host not of this machine: one line, not a traceback
        raise SystemExit(
            f"innov serve: cannot listen on {host}:{settings.port}: {exc.strerror or exc}"
        ) from None
    threading.Thread(target=server.serve_forever, name="innov-health", daemon=True).start()
    return server


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def install_stop_signals(stop: threading.Event) -> dict[int, Any]:
    """SIGTERM and SIGINT set ``stop`` (the main thread then shuts down) instead of killing the process.

    Returns the previous handlers, for :func:`restore_signals`.
    """

    def request_stop(signum: int, frame: object) -> None:
        logger.info("innov: %s received, stopping gracefully", signal.Signals(signum).name)
        stop.set()

    previous = {int(sig): signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, request_stop)
    return previous


def restore_signals(previous: dict[int, Any]) -> None:
    """Put back the handlers :func:`install_stop_signals` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def serving_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base, built (in a child process with limits) or mapped once, in the parent.

    gunicorn workers inherit it after the fork and share its mapped pages: no worker reads the files
    at start, so a broken edit cannot stop a restarted worker from booting. Over a broken directory
    this is the last good saved index (its problems in /healthz); ``KnowledgeLoadError`` when none.
    """
    from bot.knowledge_loading import open_serving_knowledge

    return open_serving_knowledge(settings)


def _worker_knowledge(kb: KnowledgeBase) -> KnowledgeBase:
    """In a (re)started worker: the inherited knowledge, moved to the last good saved index if newer."""
    try:
        report = kb.adopt_last_good()
        if report is not None and report.changed_anything:
            kb.problems = ()  # found at the master's start, before the reload that saved this index
    except Exception:  # the inherited snapshot serves whatever happens to the saved one
        logger.exception("could not map the last good knowledge index; serving %s", kb.version)
    return kb


def _serve_socket_mode(settings: Settings, kb: KnowledgeBase, stop: threading.Event | None = None) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app, build_client
    from bot.background import BoundedExecutor
    from bot.services import Services
    from bot.slack_api import SlackApi

    assert settings.slack_app_token is not None
    stop = stop or threading.Event()
    previous = install_stop_signals(stop)
    services = Services(settings, kb=kb)
    services.start()
    background = BoundedExecutor()
    health = None
    try:
        slack = SlackApi(build_client(settings))
        slack.refresh(0)  # in the background: logged, and in /healthz
        health = start_health_server(settings, services, slack)
        app = build_app(settings, services, background=background, slack=slack)
        handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
        handler.connect()  # returns once connected; envelopes are handled on the client's threads
        logger.info(
            "innov: Socket Mode, health on port %d, knowledge base %s", settings.port, services.kb.version
        )
        stop.wait()
        stop_socket_mode(handler.client, background, GRACE_SECONDS)
    finally:
        if health is not None:
            health.shutdown()
            health.server_close()
        services.close()  # removes the replica record
        restore_signals(previous)
    logger.info("innov: stopped")


def stop_socket_mode(client: Any, background: BoundedExecutor, grace: float) -> bool:
    """Stop a Socket Mode client gracefully; True when everything in flight finished within ``grace``.

    1. Stop taking envelopes (the client's processor stops dequeuing; undelivered ones are not acked,
       so Slack redelivers them to another replica).
    2. Let envelopes already being dispatched finish, acks included, while the socket is still open.
    3. Drain the background replies they started, then close the connection.
    """
    import time

    deadline = time.monotonic() + grace
    client.closed = True  # process_messages() loops "while not self.closed"
    workers = threading.Thread(target=client.message_workers.shutdown, kwargs={"wait": True}, daemon=True)
    workers.start()
    workers.join(max(deadline - time.monotonic(), 0.0))
    finished = not workers.is_alive() and background.drain(max(deadline - time.monotonic(), 0.0))
    try:
        client.close()
    except Exception:  # closing a socket that the peer already closed; nothing left to save
        logger.debug("error closing the Socket Mode client", exc_info=True)
    return finished


# -- HTTP --------------------------------------------------------------------------------------------------


def _serve_http(settings: Settings, kb: KnowledgeBase) -> None:
    built: list[tuple[Services, BoundedExecutor]] = []

    def factory() -> WSGIApp:
        # Runs in each worker after the fork, after gevent patched the standard library: the Slack SDK,
        # Bolt and redis-py are imported here, not in the master, so they bind the cooperative socket
        # and ssl classes (imported earlier, a Web API call would block the worker's event loop).
        from bot.background import BoundedExecutor
        from bot.services import Services
        from bot.web import create_wsgi_app

        services = Services(settings, kb=_worker_knowledge(kb))
        services.start()
        background = BoundedExecutor()
        built.append((services, background))
        logger.info("innov: HTTP on port %d, knowledge base %s", settings.port, services.kb.version)
        return create_wsgi_app(settings, services, background=background)

    def close() -> None:
        # gunicorn has stopped taking requests and waited for those in flight; their lazy replies remain.
        for services, background in built:
            background.drain(GRACE_SECONDS / 2)
            services.close()

    options = gunicorn_options(
        settings.port, log_level=settings.log_level, head_seconds=settings.innov_head_seconds
    )
    GunicornServer(factory, options, on_exit=close).run()


def _raise_file_limit(wanted: int) -> None:
    """Raise the soft limit on open files to ``wanted`` (within the hard limit): many systems start
    processes at 1,024, below ``WORKER_CONNECTIONS``, and a worker past it could accept nothing at all."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        logger.warning(
            "open files are limited to %d: fewer than the %d connections a worker may hold", target, wanted
        )


def default_workers() -> int:
    """``WEB_CONCURRENCY``, else one worker per core: answering is CPU-bound and holds the GIL, and the
    workers share the mapped knowledge index, so a worker costs little memory."""
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else max(1, os.cpu_count() or 1)
