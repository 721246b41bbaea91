"""A freshly started worker answers its first questions asked at once (gunicorn, a gevent worker).

Regression: the worker's first question loads the embedding model under the embedder's lock (a real
thread lock, made before gevent patches threading), and anything that yielded to another greenlet while
holding it (``ctypes.util.find_library`` runs ldconfig in a subprocess) left every later question blocked
on that lock in the worker's one thread: the worker never answered again.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tests.e2e.slack_api_stub import SlackApiStub
from tests.reliability.serving import post, signed_headers, slash_body, start_serve

QUESTIONS = (
    "what is china's gii rank",
    "how much does china spend on r&d",
    "which clusters rank in the top 10",
    "how many robots per 10,000 workers",
    "what is the greater bay area",
    "who is daren tang",
)


def test_a_new_worker_answers_its_first_questions_asked_at_once(
    tmp_path: Path, kb_dir: Path, stub: SlackApiStub
) -> None:
    served = start_serve(tmp_path, kb_dir, stub.base_url, INNOV_INDEX_DIR=str(tmp_path / "index"))
    try:
        statuses: list[int] = []

        def ask(question: str) -> None:
            body = slash_body(f"ask {question}")
            statuses.append(post(served.port, body, signed_headers(body), timeout=30)[0])

        askers = [threading.Thread(target=ask, args=(q,)) for q in QUESTIONS]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
        assert statuses == [200] * len(QUESTIONS), served.log()[-2000:]
    finally:
        assert served.stop() == 0
