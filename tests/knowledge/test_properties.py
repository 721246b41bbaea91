"""Property tests on the seed corpus: noise words, case and long-word typos never change an answer."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge import Snapshot, load_snapshot

ROOT = Path(__file__).resolve().parents[2]
NOISE = ["hey", "hi team", "quick q", "pls", "thx", "rn", "lol", "asap", "btw", ":smile:", "🙂", "<@U0123>"]


@lru_cache(maxsize=1)
def seeds() -> Snapshot:
    return load_snapshot(ROOT / "seeds")


@lru_cache(maxsize=1)
def questions() -> list[str]:
    """The answerable development questions the seeds answer (the property is about keeping them)."""
    items = json.loads((ROOT / "eval" / "dev_qa.json").read_text(encoding="utf-8"))["items"]
    return [i["q"] for i in items if not i.get("abstain") and seeds().answer(i["q"]).answered]


def key(question: str) -> tuple[str, str]:
    answer = seeds().answer(question)
    return answer.kind, answer.text


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.data())
def test_noise_words_do_not_change_an_answer(data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(questions()))
    before = data.draw(st.lists(st.sampled_from(NOISE), max_size=2))
    after = data.draw(st.lists(st.sampled_from(NOISE), max_size=2))
    noisy = " ".join([*before, question, *after])
    assert key(noisy) == key(question)


@SETTINGS
@given(st.data())
def test_case_does_not_change_an_answer(data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(questions()))
    mode = data.draw(st.sampled_from(["lower", "upper", "title"]))
    changed = getattr(question, mode)()
    assert key(changed) == key(question)


@SETTINGS
@given(st.data())
def test_a_typo_in_a_long_word_does_not_change_an_answer(data: st.DataObject) -> None:
    question = data.draw(st.sampled_from(questions()))
    words = question.split()
    long_words = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 8 and w.lower() == w]
    if not long_words:
        return
    i = data.draw(st.sampled_from(long_words))
    word = words[i]
    cut = data.draw(st.integers(min_value=1, max_value=len(word) - 2))
    words[i] = word[:cut] + word[cut + 1 :]  # one letter dropped, the commonest typo
    assert key(" ".join(words)) == key(question)
