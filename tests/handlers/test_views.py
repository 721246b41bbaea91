"""handlers.views: the pure Block Kit builders, each checked against Slack's limits."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.feedback import AnswerFeedback, AnswerRef, CuratorQueue, Declined
from bot.services import Services
from handlers import blocks, views
from handlers.home import home_data
from knowledge import Fact, Source
from tests.blockkit import check_message, check_view
from tests.handlers.conftest import ADMIN, USER, texts

SOURCE = Source(id="a", title="An article", publisher="Pub")


def test_the_home_tab_for_a_member_shows_examples_ranking_sources_and_version(services: Services) -> None:
    view = check_view(views.home_view(home_data(USER, services)))
    shown = texts(view)
    assert view["type"] == "home"
    for question in views.EXAMPLE_QUESTIONS:
        assert question in shown
    assert "China ranks 11th in the Global Innovation Index (2024)." in shown
    assert "MK sports, 2025-03-06" in shown and "5 articles" in shown
    assert f"Knowledge base version `{services.kb.version}`" in shown and "last reloaded" in shown
    assert "Reload knowledge base" not in shown and "Curator queue" not in shown


def test_the_home_tab_for_an_admin_adds_reload_stats_and_the_curator_queue(services: Services) -> None:
    services.feedback.declined("Where does Canada rank in the GII?", services.kb.version)
    view = check_view(views.home_view(home_data(ADMIN, services)))
    shown = texts(view)
    assert "Reload knowledge base" in shown and "innov stats" in shown and "Curator queue" in shown
    assert "*1×*\nWhere does Canada rank in the GII?\nlast " in shown


def test_each_example_question_on_the_home_tab_is_answered(services: Services) -> None:
    for question in views.EXAMPLE_QUESTIONS:
        assert services.answer(question).answered, question


def test_the_home_tab_stays_within_100_blocks_with_many_ranking_facts_and_an_answer(
    services: Services,
) -> None:
    fact = Fact(id="f", answer="x" * 4000, value="1", source="a", quote="q", rank=True)
    data = home_data(ADMIN, services, shown=blocks.notice("an answer"))
    view = check_view(views.home_view(replace(data, ranking=[(fact, (SOURCE,))] * 120)))
    assert "More with `/innov rank`." in texts(view)


def test_the_feedback_modal_carries_the_answer_and_offers_four_reasons() -> None:
    ref = AnswerRef(id="abc", question="q <!channel>" * 25, kind="fact", ref="gii-rank", kb_version="v1")
    modal = check_view(views.feedback_modal(ref))
    assert modal["type"] == "modal" and modal["title"]["text"] == "What was wrong?"
    reason = next(b for b in modal["blocks"] if b.get("block_id") == views.REASON_BLOCK)
    labels = [o["text"]["text"] for o in reason["element"]["options"]]
    assert labels == ["Wrong figure", "Wrong source", "Out of date", "Other"]
    assert AnswerRef.parse(modal["private_metadata"]) == ref
    assert "<!channel>" not in json.dumps(modal["blocks"])


def test_feedback_buttons_are_added_only_with_an_answer_reference() -> None:
    plain = blocks.notice("hi")
    assert views.finish(plain, share=False) == plain
    value = AnswerRef(id="abc", question="q", kind="fact", kb_version="v1").value()
    reply = views.finish(blocks.Reply(text="t", blocks=(blocks.section("t"),), share="ask q", feedback=value))
    check_message(reply.message())
    ids = [e["action_id"] for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]
    assert ids == [views.VOTE_UP_ACTION, views.VOTE_DOWN_ACTION, blocks.SHARE_ACTION_ID]


def test_facts_pages_have_previous_and_next_only_where_there_is_a_page() -> None:
    facts = [
        (Fact(id=f"f{i}", answer=f"Fact {i}.", value="1", source="a", quote="q"), SOURCE) for i in range(40)
    ]
    first, middle, last = (views.facts_page("", facts, offset) for offset in (0, 15, 30))

    def nav(reply: blocks.Reply) -> list[str]:
        return [e["text"]["text"] for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]

    assert (
        nav(first) == ["Next ▶"] and nav(middle) == ["◀ Previous", "Next ▶"] and nav(last) == ["◀ Previous"]
    )
    assert "*Facts 31–40 of 40*" in last.text and "Fact 39." in last.text and "Fact 29." not in last.text
    for reply in (first, middle, last):
        check_message(views.finish(reply).message())
    button = next(e for b in middle.blocks if b["type"] == "actions" for e in b["elements"])
    assert views.FactsPage.parse(button["value"]) == views.FactsPage("", 0)
    assert views.FactsPage.parse("not json") == views.FactsPage("", 0)


def test_a_topic_page_escapes_the_topic() -> None:
    facts = [(Fact(id="f", answer="A.", value="1", source="a", quote="q"), SOURCE)]
    reply = views.facts_page("<!channel>", facts, 0)
    assert "&lt;!channel&gt;" in reply.text and "<!channel>" not in json.dumps(reply.blocks)


def test_the_curator_queue_lists_declined_questions_and_disliked_answers() -> None:
    ref = AnswerRef(
        id="abc", question="How much does China spend on R&D?", kind="fact", ref="rd-spend", kb_version="v1"
    )
    queue = CuratorQueue(
        declined=(
            Declined(text="canada gii", example="Canada <GII>?", count=4, last_asked=0.0, kb_version="v1"),
        ),
        disliked=(
            AnswerFeedback(answer=ref, up=1, down=3, reasons={"wrong_figure": 2}, notes=("old",), last=0.0),
        ),
        kb_version="v1",
    )
    shown = texts({"blocks": views.curator_queue_blocks(queue)})
    assert "*4×*\nCanada <GII>?\nlast 1970-01-01 00:00 UTC" in shown  # plain text: shown as typed
    assert "👎 3 👍 1\nrd-spend · How much does China spend on R&D?\nwrong figure 2\n“old”" in shown
    off = views.curator_queue_blocks(CuratorQueue(declined=(), disliked=(), enabled=False))
    assert "INNOV_FEEDBACK=off" in off[0]["elements"][0]["text"]


@pytest.mark.parametrize(
    "value",
    [
        '{"topic":"","offset":1e400}',  # infinity: int() raises OverflowError
        '{"topic":"","offset":-1e400}',
        '{"topic":"","offset":NaN}',
        '{"topic":"","offset":' + "9" * 5000 + "}",  # past Python's digit limit for int()
        "[" * 1900 + "]" * 1900,  # deeper than the interpreter's recursion limit
        '{"topic":"","offset":"x"}',
        '{"topic":"","offset":[]}',
        "[]",
    ],
)
def test_a_forged_facts_page_value_gives_the_first_page(value: str) -> None:
    assert views.FactsPage.parse(value) == views.FactsPage("", 0)
