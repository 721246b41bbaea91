"""handlers.blocks: mrkdwn escaping, Slack's size limits, and the shape of each reply."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from handlers import blocks
from knowledge import Answer, Fact, ReloadReport, Source

SOURCE = Source(id="a", title="A <b>title</b> & more", publisher="Pub", published=dt.date(2025, 3, 6))


def answer(text: str = "China ranks 11th.", kind: str = "fact", **kw: object) -> Answer:
    return Answer(question="q", kind=kind, text=text, sources=(SOURCE,), score=1.0, kb_version="v1", **kw)  # type: ignore[arg-type]


def test_escape_replaces_the_three_control_characters() -> None:
    assert blocks.escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert blocks.escape("plain *bold* `code`") == "plain *bold* `code`"


@given(st.text())
def test_unescape_inverts_escape(text: str) -> None:
    assert blocks.unescape(blocks.escape(text)) == text


@given(st.text(alphabet="<>&ab ", max_size=4000), st.integers(min_value=5, max_value=3000))
def test_fit_is_escaped_within_the_limit_and_never_cuts_an_entity(raw: str, limit: int) -> None:
    fitted = blocks.fit(raw, limit)
    assert len(fitted) <= limit
    assert "<" not in fitted and ">" not in fitted
    body = fitted.removesuffix(blocks.ELLIPSIS)
    # Every "&" starts a whole entity.
    for i, char in enumerate(body):
        if char == "&":
            assert body[i:].startswith(("&amp;", "&lt;", "&gt;"))


def test_answer_reply_has_the_answer_then_one_source_context_each() -> None:
    reply = blocks.answer_reply(answer(), "What <is> it?", share="ask What <is> it?")
    kinds = [b["type"] for b in reply.blocks]
    assert kinds == ["context", "section", "context"]
    assert reply.blocks[0]["elements"][0]["text"] == "_Question:_ What &lt;is&gt; it?"
    assert reply.blocks[1]["text"]["text"] == "China ranks 11th."
    assert (
        reply.blocks[2]["elements"][0]["text"]
        == "Source: A &lt;b&gt;title&lt;/b&gt; &amp; more — Pub, 2025-03-06"
    )
    assert "Source: A &lt;b&gt;" in reply.text
    assert reply.share == "ask What <is> it?"


def test_an_unanswered_question_carries_hints_and_is_not_shareable() -> None:
    none = Answer(question="q", kind="none", text="I couldn't find that.", kb_version="v1")
    reply = blocks.answer_reply(none, "q", share="ask q")
    assert "/innov facts" in blocks.Reply.message(reply)["blocks"][1]["text"]["text"]
    assert reply.share is None


def test_a_known_url_becomes_a_link_and_a_strange_one_does_not() -> None:
    good = SOURCE.model_copy(update={"url": "https://example.com/a?b=1&c=2"})
    bad = SOURCE.model_copy(update={"url": "javascript:alert(1)|<x>"})
    assert "<https://example.com/a?b=1&amp;c=2|link>" in blocks.source_line(good)
    assert "link" not in blocks.source_line(bad)


def test_long_texts_are_trimmed_to_3000_characters_a_section() -> None:
    reply = blocks.answer_reply(answer("<" * 5000), "x" * 5000)
    for block in reply.blocks:
        text = block["text"]["text"] if block["type"] == "section" else block["elements"][0]["text"]
        assert len(text) <= blocks.SECTION_LIMIT
    assert len(reply.message()["text"]) <= blocks.TEXT_LIMIT


def test_many_facts_stay_within_50_blocks_even_with_button_and_shared_by() -> None:
    fact = Fact(id="f", answer="A fact.", value="1", source="a", quote="q")
    reply = blocks.facts_reply("*Facts*", [(fact, SOURCE)] * 200, share="facts")
    assert len(reply.blocks) <= blocks.CONTENT_BLOCKS
    assert "cut short to fit in one Slack message" in reply.blocks[-1]["elements"][0]["text"]
    assert "`/innov facts &lt;topic&gt;`" in reply.blocks[-1]["elements"][0]["text"]  # not a broken link
    shared = blocks.shared_by(blocks.with_share_button(reply), "U0ALICE")
    assert len(shared.blocks) <= blocks.BLOCK_LIMIT


def test_share_button_carries_the_command_line_and_is_left_out_when_too_long() -> None:
    reply = blocks.answer_reply(answer(), "q", share="ask q")
    with_button = blocks.with_share_button(reply)
    button = with_button.blocks[-1]["elements"][0]
    assert button["action_id"] == blocks.SHARE_ACTION_ID and button["value"] == "ask q"
    too_long = blocks.answer_reply(answer(), "q", share="ask " + "x" * 2500)
    assert blocks.with_share_button(too_long) == too_long


def test_shared_by_names_the_user_and_drops_the_share_value() -> None:
    shared = blocks.shared_by(blocks.answer_reply(answer(), "q", share="ask q"), "U0ALICE")
    assert shared.blocks[-1]["elements"][0]["text"] == "Shared by <@U0ALICE>"
    assert shared.share is None
    # Something that is not a Slack id is shown as text, never as markup.
    odd = blocks.shared_by(blocks.answer_reply(answer(), "q"), "<!channel>")
    assert "&lt;!channel&gt;" in odd.blocks[-1]["elements"][0]["text"]


def test_mention_only_formats_slack_ids() -> None:
    assert blocks.mention("U0ADMIN") == "<@U0ADMIN>"
    assert blocks.mention("W123ABC") == "<@W123ABC>"
    assert blocks.mention("<!here>") == "&lt;!here&gt;"


def test_reload_reply_lists_versions_counts_time_and_fact_changes() -> None:
    report = ReloadReport("old1", "new2", 5, 120, 63, 0.0123, ("f-new",), ("f-gone",), ("f-a", "f-b"))
    text = blocks.reload_reply(report).text
    assert "`old1` → `new2`" in text and "12 ms" in text
    assert "5 articles, 120 passages, 63 facts" in text
    assert "Facts added* (1): `f-new`" in text
    assert "Facts removed* (1): `f-gone`" in text
    assert "Facts changed* (2): `f-a`, `f-b`" in text
    assert "Meaning" not in text  # (unchanged: not mentioned)


def test_reload_reply_says_when_meaning_was_turned_off() -> None:
    report = ReloadReport(
        "old1", "new2", 5, 30_000, 63, 0.5, semantic="off: lexical-only", semantic_before="on (model)"
    )
    assert "*Meaning* is now off: lexical-only (was on (model))." in blocks.reload_reply(report).text


def test_reload_reply_carries_the_serving_layer_s_notice() -> None:
    report = ReloadReport("old1", "new2", 5, 30, 63, 0.5, notice="Redis is unreachable: <others> later")
    text = blocks.reload_reply(report).text
    assert ":warning: Redis is unreachable: &lt;others&gt; later" in text
    assert ":warning:" not in blocks.reload_reply(ReloadReport("a", "b", 1, 1, 1, 0.1)).text


def test_reload_reply_names_the_files_it_did_not_read() -> None:
    unread = (
        "seeds/facts.yml: not read: the fact table is facts.yaml",
        "seeds/<x>.markdown: not read: articles are *.md",
    )
    text = blocks.reload_reply(ReloadReport("a", "b", 1, 1, 0, 0.1, warnings=unread)).text
    assert ":warning: `seeds/facts.yml: not read: the fact table is facts.yaml`" in text
    assert ":warning: `seeds/&lt;x&gt;.markdown: not read: articles are *.md`" in text


def test_reload_failed_reply_names_file_and_line_escaped() -> None:
    text = blocks.reload_failed_reply(["seeds/facts.yaml:12: bad <thing>"], "v1").text
    assert "`seeds/facts.yaml:12: bad &lt;thing&gt;`" in text
    assert "still serving version `v1`" in text


def test_stats_reply() -> None:
    stats = {
        "version": "v1",
        "articles": 5,
        "passages": 100,
        "facts": 62,
        "uptime_s": 3725.0,
        "answers_by_kind": {"fact": 3, "none": 1},
        "cache_hits": 2,
        "cache_misses": 2,
    }
    text = blocks.stats_reply(stats).text
    assert "`v1`" in text and "5 articles, 100 passages, 62 facts" in text
    assert "Uptime: 1h 2m 5s" in text and "fact: 3, none: 1" in text and "2 hits, 2 misses" in text


def test_every_mrkdwn_text_is_verbatim_so_echoed_user_text_is_never_auto_linked() -> None:
    reply = blocks.answer_reply(answer(), "see #general and https://evil.example @here")
    texts = [b["text"] for b in reply.blocks if b["type"] == "section"]
    texts += [e for b in reply.blocks if b["type"] == "context" for e in b["elements"]]
    assert texts and all(t["verbatim"] is True for t in texts)


def test_a_decline_shows_related_facts_marked_as_not_the_answer() -> None:
    none = Answer(
        question="japan gii rank",
        kind="none",
        text="I couldn't find that.",
        kb_version="v1",
        related=(("China ranks 11th in the GII <2024>.", SOURCE),),
    )
    reply = blocks.answer_reply(none)
    related = [b for b in reply.blocks if b["type"] == "context" and "Not the answer" in str(b)]
    assert len(related) == 1
    text = related[0]["elements"][0]["text"]
    assert "China ranks 11th in the GII &lt;2024&gt;." in text and blocks.escape(SOURCE.title) in text
    assert reply.share is None


def test_a_fact_with_two_sources_is_one_line_with_both() -> None:
    fact = Fact(id="gii", answer="China ranks 11th.", value="11th", as_of=2024, source="a", quote="q")
    other = SOURCE.model_copy(update={"title": "Another article"})
    reply = blocks.facts_reply("*Where China ranks*", [(fact, (SOURCE, other))])
    assert reply.text.count("China ranks 11th (2024).") == 1
    sources = [b for b in reply.blocks if b["type"] == "context"]
    assert len(sources) == 1 and len(sources[0]["elements"]) == 2
