from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    # main() installs innov's log handler on the root logger, bound to this test's captured stderr:
    # put the root logger back so later tests' threads do not write to a closed stream.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings come from the environment only: no stray .env, no Slack, no Redis.
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INNOV_KNOWLEDGE_DIR", str(SEEDS))


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


def test_ask_json_follows_the_contract() -> None:
    code, out = run("ask", "--json", "What is China's rank in the Global Innovation Index?")
    assert code == 0
    answer = json.loads(out)
    assert list(answer) == [
        "question",
        "answered",
        "kind",
        "text",
        "sources",
        "score",
        "kb_version",
        "normalised",
    ]
    assert answer["normalised"] == "what is china's rank in the global innovation index"
    assert (answer["answered"], answer["kind"]) == (True, "fact")
    assert "11th" in answer["text"]
    source = answer["sources"][0]
    assert set(source) == {"id", "title", "publisher", "published", "url", "quote"}
    assert source["url"] is None
    assert 0 < answer["score"] <= 1


def test_ask_abstains_with_kind_none() -> None:
    code, out = run("ask", "--json", "Will it rain in Lisbon today?")
    answer = json.loads(out)
    assert code == 0
    assert (answer["answered"], answer["kind"], answer["sources"]) == (False, "none", [])


def test_ask_reads_one_question_per_line() -> None:
    code, out = run(
        "ask", "--json", stdin="GII rank of China\n\nHow many robots per 10,000 workers?\nlorem ipsum\n"
    )
    lines = out.splitlines()
    assert code == 0
    assert [json.loads(line)["kind"] for line in lines] == ["fact", "fact", "none"]


def test_ask_plain_text_cites_its_source() -> None:
    code, out = run("ask", "How", "many", "high-tech", "enterprises", "does", "China", "have?")
    assert code == 0
    assert "463,000" in out and "(Source: Focus on tech innovations" in out


@pytest.mark.parametrize(
    ("question", "message"),
    [("   ", "empty"), ("x" * 50_000, "too long"), ("\x00\x01\x02junk", "binary")],
)
def test_bad_questions_get_a_clear_message_and_exit_1(question: str, message: str) -> None:
    code, out = run("ask", question)
    assert code == 1
    assert out.startswith("error: ") and message in out
    assert "Traceback" not in out


def test_rank_lists_the_ranking_facts() -> None:
    code, out = run("rank", "--json")
    rows = json.loads(out)
    assert code == 0
    assert any("11th" in row["text"] for row in rows)
    assert all(row["sources"][0]["quote"] for row in rows)
    code, text = run("rank")
    assert text.count("• ") == len(rows)


def test_check_passes_on_the_seeds_and_names_file_and_line_when_broken(tmp_path: Path) -> None:
    code, out = run("check")
    assert code == 0 and out.startswith("ok: 5 articles")
    broken = tmp_path / "kb"
    shutil.copytree(SEEDS, broken)
    facts = broken / "facts.yaml"
    facts.write_text(facts.read_text().replace("China now ranks 11th", "China now ranks 12th", 1))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INNOV_KNOWLEDGE_DIR", str(broken))
        code, out = run("check")
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith(f"{facts}:") and "fact gii-rank: quote not found" in line


def test_eval_reports_accuracy_and_abstention() -> None:
    code, out = run("eval", str(ROOT / "eval" / "dev_qa.json"), "--json", "--min-accuracy", "1")
    report = json.loads(out)
    assert code == 0, report["failures"]
    assert (report["correct"], report["total"]) == (16, 16)
    assert report["abstain"] == {"total": 4, "correct": 4}


def test_eval_fails_below_the_minimum_and_on_unreadable_files(tmp_path: Path) -> None:
    qa = tmp_path / "qa.json"
    qa.write_text(json.dumps({"items": [{"q": "China GII rank", "expect": ["99th"]}]}))
    code, out = run("eval", str(qa), "--min-accuracy", "0.5")
    assert code == 1 and "accuracy: 0/1" in out
    qa.write_text("not json")
    assert run("eval", str(qa))[0] == 2


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--cv", "17"], "16 questions make at most 16 folds"),
        (["--fit", "/no/such/d.json"], "not a directory"),
        (["--fit", str(ROOT / "eval")], "it is a directory"),
    ],
)
def test_eval_refuses_options_it_cannot_honour(
    options: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("eval", str(ROOT / "eval" / "dev_qa.json"), *options)[0] == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize("folds", ["1", "0", "21"])
def test_eval_refuses_cv_outside_2_to_20_as_it_parses(folds: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:  # (argparse's usage error: exit 2 before anything runs)
        run("eval", str(ROOT / "eval" / "dev_qa.json"), "--cv", folds)
    assert exited.value.code == 2
    assert f"give 2 to 20 folds, not {folds}" in capsys.readouterr().err


def test_missing_knowledge_dir_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INNOV_KNOWLEDGE_DIR", "/no/such/dir")
    assert run("ask", "hello")[0] == 1
    assert "knowledge directory not found" in capsys.readouterr().err


def test_a_knowledge_dir_that_is_not_there_or_empty_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Run from the wrong folder: INNOV_KNOWLEDGE_DIR's default, seeds/, is relative to it.
    monkeypatch.setenv("INNOV_KNOWLEDGE_DIR", "seeds")
    for command in (["ask", "hi"], ["check"], ["rank"], ["console"]):
        code, out = run(*command)
        assert code == 1 and "knowledge directory not found" in out + capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("INNOV_KNOWLEDGE_DIR", "empty")
    for command in (["ask", "hi"], ["check"], ["console"]):
        code, out = run(*command)
        assert code == 1 and "no articles (*.md)" in out + capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_reload_without_redis_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("reload")[0] == 1
    assert "REDIS_URL is not set" in capsys.readouterr().err


def test_the_installed_console_script(tmp_path: Path) -> None:
    innov = Path(sys.executable).with_name("innov")
    env = {"PATH": "/usr/bin:/bin", "INNOV_KNOWLEDGE_DIR": str(SEEDS), "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(innov), "ask", "--json", "Number of high-tech enterprises in China"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "463,000" in json.loads(done.stdout)["text"]
    bad = subprocess.run(
        [str(innov), "ask", "--nope"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert bad.returncode == 2 and "usage: innov" in bad.stderr


def test_reload_with_redis_down_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import free_port

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert run("reload")[0] == 1
    err = capsys.readouterr().err
    assert "innov reload: Redis at 127.0.0.1" in err and "Traceback" not in err


def test_a_redis_database_the_server_does_not_have_is_one_clear_line(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # redis-py fails every command on such a database; innov must not report Redis as unreachable.
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    count = int(client.config_get("databases")["databases"])
    client.close()
    base = redis_url.rsplit("/", 1)[0]
    monkeypatch.setenv("REDIS_URL", f"{base}/{count}")
    for command in ("feedback", "reload", "console"):
        assert run(command)[0] == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert f"REDIS_URL names database {count}, which the Redis at" in line
        assert f"(it has {count}: 0 to {count - 1})" in line and "unreachable" not in line
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-0000-test")
    with pytest.raises(SystemExit, match=f"innov serve: REDIS_URL names database {count}"):
        run("serve")


# -- innov feedback ----------------------------------------------------------------------------------------


@pytest.fixture
def feedback_in_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Votes and declined questions under the default ``innov:`` prefix, as a running bot writes them."""
    import time

    from bot.feedback import DECLINED_LEDGER, VOTES_LEDGER, AnswerRef, Feedback
    from bot.redis_store import RedisStore
    from knowledge import Answer

    store = RedisStore(redis_url)
    parts = ("at", "val", "n", "t", "items:v1", "rank:v1")  # the ledger and its ranking for version v1
    keys = [store.key(f"{name}:{part}") for name in (VOTES_LEDGER, DECLINED_LEDGER) for part in parts]
    store.client.delete(*keys)
    now = time.time()
    feedback = Feedback(store, clock=lambda: now - 10 * 86400)
    feedback.declined("Where does Brazil rank in the GII?", "v1")  # ten days ago
    feedback = Feedback(store)
    for _ in range(2):
        feedback.declined("Where does Canada rank in the GII?", "v1")
    gii = Answer(
        question="What is China's GII rank?", kind="fact", text="t", kb_version="v1", fact_id="gii-rank"
    )
    feedback.vote(AnswerRef.of(gii), "U1", "down", reason="out_of_date", note="2025: 10th")
    feedback.vote(AnswerRef.of(gii), "U2", "up")
    monkeypatch.setenv("REDIS_URL", redis_url)
    yield
    store.client.delete(*keys)
    store.close()


def test_feedback_lists_the_curator_queue(feedback_in_redis: None) -> None:
    code, out = run("feedback")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "Declined questions (2):"
    assert "   2x  Where does Canada rank in the GII?" in out and "Brazil" in out
    assert out.index("Canada") < out.index("Brazil")
    assert "👎 1 👍 1  [fact gii-rank] What is China's GII rank?" in out
    assert "reasons: out of date 1" in out and "note: 2025: 10th" in out


def test_feedback_prints_what_users_typed_on_one_line(feedback_in_redis: None, redis_url: str) -> None:
    from bot.feedback import AnswerRef, Feedback
    from bot.redis_store import RedisStore
    from knowledge import Answer

    store = RedisStore(redis_url)
    fake = "\n     99x  Where does Narnia rank?  (last asked 2026-01-01 00:00 UTC, version v1)\r\n"
    Feedback(store).declined(f"Where does Ruritania rank?{fake}", "v1")
    rd = Answer(question=f"How much on R&D?{fake}", kind="fact", text="t", kb_version="v1", fact_id="rd")
    Feedback(store).vote(AnswerRef.of(rd), "U3", "down", reason="other", note=f"see{fake}\x1b[2Jcleared")
    store.close()
    code, out = run("feedback")
    assert code == 0
    assert not any(line.lstrip().startswith("99x") for line in out.splitlines())  # no line of its own
    assert "Where does Ruritania rank?␤     99x  Where does Narnia rank?" in out
    assert "] How much on R&D?␤     99x" in out
    assert (
        "note: see␤     99x  Where does Narnia rank?  (last asked 2026-01-01 00:00 UTC, version v1)␤�[2Jcleared"
        in out
    )
    assert "\x1b" not in out


def test_feedback_json_and_since(feedback_in_redis: None) -> None:
    code, out = run("feedback", "--json", "--since", "7")
    assert code == 0
    data = json.loads(out)
    assert [(d["example"], d["count"]) for d in data["declined"]] == [
        ("Where does Canada rank in the GII?", 2)
    ]
    [disliked] = data["disliked"]
    assert (
        disliked["answer"]["ref"] == "gii-rank"
        and disliked["down"] == 1
        and disliked["reasons"] == {"out_of_date": 1}
    )
    assert data["enabled"] is True and data["since"] is not None


def test_feedback_without_redis_says_where_feedback_lives() -> None:
    code, _ = run("feedback")
    assert code == 1
    assert run("feedback", "--since", "0")[0] == 2


QA = {
    "items": [
        {"q": "What is China's GII rank?", "expect": ["11th"]},
        {"q": "what is the weather in Paris tomorrow", "abstain": True},
    ]
}


def test_eval_gates_on_answerable_declined_and_wrong(tmp_path: Path) -> None:
    qa = tmp_path / "qa.json"
    qa.write_text(json.dumps(QA), encoding="utf-8")
    code, out = run("eval", str(qa), "--min-answerable", "1", "--min-declined", "1", "--max-wrong", "0")
    assert code == 0 and "wrong answers: 0/2" in out
    code, _ = run("eval", str(qa), "--min-answerable", "2")
    assert code == 1


def test_a_passing_eval_gate_prints_its_figures_and_lists_misses_only_when_asked(tmp_path: Path) -> None:
    qa = tmp_path / "qa.json"
    missed = {"q": "What is China's GII rank?", "expect": ["99th"]}
    qa.write_text(json.dumps({"items": [*QA["items"], missed]}), encoding="utf-8")
    gates = ("--min-answerable", "1", "--min-declined", "1", "--max-wrong", "1")
    code, out = run("eval", str(qa), *gates)
    assert code == 0 and "FAIL" not in out
    assert (
        "gates passed: answerable right 1/2 (at least 1), declined 1/1 (at least 1), wrong 1 (at most 1)"
        in out
    )
    assert "1 miss not listed (the gates passed; --verbose lists them)" in out
    code, out = run("eval", str(qa), *gates, "--verbose")
    assert code == 0 and 'FAIL "What is China\'s GII rank?"' in out
    # Every decline says why: here the question to decline, declined by the threshold or a gate.
    assert "declined 'what is the weather in Paris tomorrow': " in out
    code, out = run("eval", str(qa), "--max-wrong", "0")  # a failing gate lists its misses
    assert code == 1 and 'FAIL "What is China\'s GII rank?"' in out and "gates passed" not in out


def test_eval_calibration_prints_the_reliability_table(tmp_path: Path) -> None:
    qa = tmp_path / "qa.json"
    qa.write_text(json.dumps(QA), encoding="utf-8")
    code, out = run("eval", str(qa), "--calibration")
    assert code == 0
    rows = [line for line in out.splitlines() if line.strip().startswith(("0.", "1."))]
    assert len(rows) == 10 and "correct=" in rows[0]


def test_eval_fit_writes_a_decision_file_it_can_load(tmp_path: Path) -> None:
    from knowledge.decide import load_model

    qa = tmp_path / "qa.json"
    items = json.loads((ROOT / "eval" / "dev_qa.json").read_text(encoding="utf-8"))["items"]
    qa.write_text(json.dumps({"items": items}), encoding="utf-8")
    target = tmp_path / "decision.json"
    code, out = run("eval", str(qa), "--fit", str(target))
    assert code == 0 and f"wrote {target}" in out
    assert 0.0 < load_model(target).threshold < 1.0


def _prefixed_redis(monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str) -> type:
    """Make the CLI's Redis store (``innov reload``'s broadcast) use this test's key prefix (so the test's keys
    are cleaned up)."""
    import bot.fleet
    from bot.redis_store import RedisStore

    class PrefixedStore(RedisStore):
        def __init__(self, url: str, **kwargs: object) -> None:
            super().__init__(url, prefix=redis_prefix, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.fleet, "RedisStore", PrefixedStore)
    monkeypatch.setenv("REDIS_URL", redis_url)
    return PrefixedStore


def _copy_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(SEEDS, kb)
    monkeypatch.setenv("INNOV_KNOWLEDGE_DIR", str(kb))
    return kb


def test_reload_validates_locally_first_and_asks_no_one_when_files_are_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    kb = _copy_seeds(tmp_path, monkeypatch)
    _prefixed_redis(monkeypatch, redis_url, redis_prefix)
    (kb / "facts.yaml").write_text("facts: [unclosed\n", encoding="utf-8")
    code, out = run("reload")
    assert code == 1
    assert f"{kb / 'facts.yaml'}:" in out  # file:line


def test_reload_with_no_replica_listening_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    _copy_seeds(tmp_path, monkeypatch)
    _prefixed_redis(monkeypatch, redis_url, redis_prefix)
    code, out = run("reload", "--timeout", "1")
    assert code == 1 and "no replica is listening" in out


def test_reload_names_the_files_it_did_not_read_before_asking_the_replicas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    kb = _copy_seeds(tmp_path, monkeypatch)
    _prefixed_redis(monkeypatch, redis_url, redis_prefix)
    (kb / "aliases.yaml").rename(kb / "aliases.yml")
    code, out = run("reload", "--timeout", "1")
    assert code == 1  # (no replica is listening)
    assert out.splitlines()[0] == f"warning: {kb / 'aliases.yml'}: not read: the aliases are aliases.yaml"


def test_reload_prints_one_line_per_replica_and_fails_if_one_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    from bot.services import Services
    from bot.settings import Settings

    kb = _copy_seeds(tmp_path, monkeypatch)
    store_type = _prefixed_redis(monkeypatch, redis_url, redis_prefix)
    # A replica on another host: its own files (broken below) and its own index directory, so it
    # cannot map the index this CLI validated and must build from its files.
    other = tmp_path / "host2" / "kb"
    shutil.copytree(SEEDS, other)
    replicas = [
        Services(
            Settings(_env_file=None, innov_knowledge_dir=d, innov_index_dir=d.parent / "index"),  # type: ignore[call-arg]
            store=store_type(redis_url),
        )
        for d in (kb, other)
    ]
    try:
        for replica in replicas:
            replica.start()
        code, out = run("reload", "--timeout", "20")
        assert code == 0, out
        lines = out.strip().splitlines()
        assert len(lines) == 2 and all(": ok, " in line for line in lines)
        (other / "facts.yaml").write_text("facts: [unclosed\n", encoding="utf-8")
        with (kb / "facts.yaml").open("a", encoding="utf-8") as facts:
            facts.write("\n# a comment changes the version\n")
        code, out = run("reload", "--timeout", "20")
        assert code == 1
        assert f"{replicas[0].replica_id}: ok, " in out
        assert f"{replicas[1].replica_id}: FAILED, still serving" in out and "facts.yaml:" in out
    finally:
        for replica in replicas:
            replica.close()


def test_the_console_answers_from_the_last_good_index_while_the_files_are_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = _copy_seeds(tmp_path, monkeypatch)
    monkeypatch.setenv("INNOV_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert run("check")[0] == 0  # (saves the index)
    facts = kb / "facts.yaml"
    facts.write_text(facts.read_text().replace("    answer:", "  answer:", 1), encoding="utf-8")
    capsys.readouterr()
    code, out = run("console", stdin="/innov whats chinas gii rank\n")
    assert code == 0 and "11th" in out
    warning = capsys.readouterr().err
    assert "answering from the last good saved index" in warning and f"{facts}:" in warning
    # `innov ask` still fails: it is how a curator checks an edit.
    assert run("ask", "whats chinas gii rank")[0] == 1
    # With nothing saved, the console cannot start either.
    monkeypatch.setenv("INNOV_INDEX_DIR", str(tmp_path / "empty-index"))
    assert run("console", stdin="/innov whats chinas gii rank\n")[0] == 1


def test_env_file_settings_read_outside_settings_are_read_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # HOST and WEB_CONCURRENCY are read by the runner from the environment: `.env` must reach them too.
    from bot import runner

    for name in ("HOST", "WEB_CONCURRENCY"):
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)  # (absent now; restored to what it was after the test)
    (tmp_path / ".env").write_text("HOST=127.0.0.9\nWEB_CONCURRENCY=3\n", encoding="utf-8")
    code, _ = run("ask", "what is china's gii rank")
    assert code == 0
    options = runner.gunicorn_options(3000)
    assert options["bind"] == "127.0.0.9:3000" and options["workers"] == 3


@pytest.mark.parametrize("ttl", ["99999999999999999999", "31536001", "0"])
def test_a_cache_ttl_out_of_range_is_one_clear_line(
    ttl: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Redis refuses SET EX past its range: such a TTL would have cached nothing, answer after answer.
    monkeypatch.setenv("INNOV_CACHE_TTL", ttl)
    assert run("ask", "What is China's GII rank?")[0] == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("innov: INNOV_CACHE_TTL: Input should be")
    monkeypatch.setenv("INNOV_CACHE_TTL", "31536000")
    assert run("ask", "What is China's GII rank?")[0] == 0
