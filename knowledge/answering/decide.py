"""Stage 3: the best candidate, the features the decision reads, and the verdict with its reason.

The candidates are ranked by their score (where a type of answer is required, those holding it first);
the runner-up is the best candidate saying something else, and the margin between them; a retrieved fact
saying what the best candidate says takes its place (``_fact_for``, keeping its margin); the heaviest question term
the best one lacks and how clearly it is what the question means are added to its features. The decision
model (``knowledge.decide``) turns them into a probability; the hard gates (``gates``) and the threshold
decline, each saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from knowledge.answering import gates
from knowledge.answering.answer_types import TextTraits
from knowledge.answering.candidate import Candidate, FactRef, WindowRef, same_content
from knowledge.answering.candidates import CandidateFinder
from knowledge.answering.decision import Decision
from knowledge.answering.dense import Meaning
from knowledge.answering.fact_table import states
from knowledge.answering.given import GivenGate, RestatementGate
from knowledge.answering.list_size import ListSizeGate
from knowledge.answering.qualifiers import QualifierGate
from knowledge.answering.question import Question
from knowledge.answering.render import elaborated, followed
from knowledge.answering.year_gate import YearGate
from knowledge.decide import RANK_FEATURES, DecisionModel
from knowledge.models import Fact
from knowledge.text import TextRules

_TYPE_OK = RANK_FEATURES.index("type_ok")
_COVERAGE, _COSINE = RANK_FEATURES.index("coverage"), RANK_FEATURES.index("cosine")
# A fact offered as related to a declined question is at least this near it in meaning: off-topic chatter's
# nearest facts are below 0.3 ("who won the world cup" 0.04-0.11, "best hotpot in chengdu" 0.24-0.28),
# a near miss's above ("what's india's gii rank" -> China's rank 0.49, "did astrazeneca invest in
# shanghai" -> its Beijing investment 0.71).
RELATED_MIN_COSINE = 0.3
# The sentence after the one a fact quotes is shown with it when it is this near the question in meaning:
# the same bar, "related" (``followed``).
NEXT_MIN_COSINE = RELATED_MIN_COSINE
_EMPTY: frozenset[str] = frozenset()


class Decider:
    """Decides on the candidates of questions over one knowledge base, with one decision model."""

    def __init__(
        self,
        model: DecisionModel,
        finder: CandidateFinder,
        rules: TextRules,
        materialise: Callable[[Candidate], Candidate],
    ) -> None:
        self.model = model
        self.finder = finder
        self.meaning: Meaning = finder.meaning
        self.materialise = materialise

        def text_of(candidate: Candidate) -> str:  # (built once: the renderer remembers it)
            return materialise(candidate).text

        # The hard gates, in order: the first that declines says why.
        self.vetoes: tuple[Callable[[Question, Candidate], str], ...] = (
            gates.bare_gate,
            *((gates.meaning_gate,) if finder.meaning.index is not None else ()),
            gates.type_gate,
            gates.unknown_figure_gate,
            GivenGate(finder.facts.facts),
            gates.AttributeGate(rules, finder.tokens_of, text_of),
            gates.CountGate(
                rules, text_of, finder.describer.kinds.place_terms, finder.describer.kinds.subject_terms
            ),
            RestatementGate(rules, text_of, finder.facts.facts),
            ListSizeGate(text_of),
            gates.NegationGate(text_of),
            YearGate(text_of),
            gates.UnitGate(text_of),
            gates.NumberedGate(text_of),
            gates.PositionGate(rules, text_of),
            QualifierGate(rules, finder.tokens_of),
        )

    def decide(self, q: Question, *, judged: bool = True, prune: bool = True) -> Decision:
        """The best fact, passage window or list for ``q`` and the decision on it (its text and sources
        built when it is the answer or ``judged``). ``prune`` is speed only: the same decision."""
        # A question with no word the knowledge base knows has no candidate, unless meaning can find one.
        asked = bool(q.weights or (self.meaning.index is not None and q.terms))
        # Where a type of answer is required, a candidate without it can only be declined: one holding it
        # ranks first, whatever its score (pruning, which reads scores alone, is then off).
        intent = q.intent
        hard = q.share or (intent is not None and intent.hard)
        # (The retrieved facts that agree with the question: candidates, and what a fact may replace.)
        pool = self.finder.agreeing_facts(q, self.meaning.of(q)) if asked else []
        candidates = self.finder.find(q, prune=prune and not hard, facts=pool) if asked else []
        if not candidates:
            return Decision(q, None, 0.0, False, self.related(q), gates.no_candidate(asked))
        if hard:
            candidates.sort(key=lambda c: (c.values[_TYPE_OK] == 0.0 if c.values else False, -c.rank_score))
        else:
            candidates.sort(key=lambda c: -c.rank_score)
        top = candidates[0]
        # The runner-up is the best candidate that does not say the same thing again (a window holding
        # the best sentence, the passage a fact quotes): how clearly the best answer stands out. (A fact
        # that takes the window's place says what the window says: the window's margin is its.)
        runner_up = next((c for c in candidates[1:] if not same_content(c, top)), None)
        margin = top.rank_score - (runner_up.rank_score if runner_up else 0.0)
        best = self._fact_for(q, top, {fact: (traits, bm25) for fact, traits, bm25 in pool}).described()
        extra = {
            "margin": margin,
            "missed_max": self._missed_max(q, best),
            "cos_margin": self.meaning.cos_margin(q, best, self.finder.list_docs),
        }
        best = best._replace(features={**best.features, **extra})
        probability = self.model.probability(best.features)
        reason = self.veto(q, best) or gates.threshold(probability, self.model.threshold)
        answer = not reason
        if answer or judged:
            # (Judged, a declined candidate is shown as it would be answered: what fitting labels.)
            best = self._followed(q, self.materialise(elaborated(q, best, self.finder.passages)))
        return Decision(q, best, probability, answer, () if answer else self.related(q), reason)

    def _followed(self, q: Question, best: Candidate) -> Candidate:
        """A fact with the sentence after the one it quotes (``render.followed``), for an open question (no
        type of answer asked) when that sentence is at least ``NEXT_MIN_COSINE`` near the question in
        meaning (so never in lexical-only mode, where every cosine is 0) and names no place that neither
        the question nor the fact names."""
        if q.wants is not None or not isinstance(best.ref, FactRef):
            return best
        quoted = self.meaning.quoted_sentence(best.ref.fact)
        if quoted is None:
            return best
        doc, sentence = quoted
        sentences = self.finder.passages[doc].sentences
        if sentence + 1 >= len(sentences):
            return best
        if self.meaning.windows(self.meaning.of(q))(doc, sentence + 1, sentence + 2) < NEXT_MIN_COSINE:
            return best
        # Nor when it is about another place than the question and the fact ("Beijing's robotics industry
        # holds 190,000 patents" is not followed by "... with 470 robots per 10,000 workers, China ...").
        after = sentences[sentence + 1]
        named = self.finder.places_in(best.text) | frozenset(q.weights) | {t for e in q.entities for t in e}
        if self.finder.places_in(after) - named:
            return best
        return followed(best, after)

    def veto(self, q: Question, best: Candidate) -> str:
        """The hard gate the best candidate fails, whatever its probability ("" when none)."""
        for gate in self.vetoes:
            reason = gate(q, best)
            if reason:
                return reason
        return ""

    def related(self, q: Question) -> tuple[Fact, ...]:
        """The facts offered with a decline (``FactTable.related``): with meaning, only facts whose cosine
        with the question is at least ``RELATED_MIN_COSINE`` ("who won the world cup" was offered Beijing's
        share of the "world's" robotics patents)."""
        hits = self.meaning.of(q) if self.meaning.index is not None else None
        if hits is None:
            return self.finder.facts.related(q)
        return self.finder.facts.related(q, lambda f: self.meaning.fact(hits, f) >= RELATED_MIN_COSINE)

    def _fact_for(
        self, q: Question, best: Candidate, pool: Mapping[int, tuple[TextTraits, float]]
    ) -> Candidate:
        """A retrieved fact saying what the best candidate says, in its place: a curated fact is preferred to
        a passage saying the same thing (its sentence is written to answer, and it carries its as-of year),
        and of two facts stating one figure the curator's first. Read from the retrieved facts, not from the
        candidates, so pruning cannot change it (``pool``: each agreeing fact's traits and retrieval score)."""
        ref = best.ref
        if not isinstance(ref, FactRef | WindowRef):
            return best  # (a list, or a look-up)
        dense = self.meaning.of(q)
        table = self.finder.facts
        if isinstance(ref, FactRef):
            chosen = {table.first_of_figure[ref.fact]} - {ref.fact}
        else:
            first = int(self.finder.windows.sentences.seg_ptr[ref.passage]) + 1
            chosen = self.meaning.quoting(first, range(ref.start, ref.end))
            if not chosen & pool.keys():
                # Or a fact stating the figure the window states ("11th", "463,000"): another article's words.
                text = self.materialise(best).text
                chosen = {f for f in pool if states(text, table.facts[f].value)}
        if not chosen & pool.keys():
            return best
        base = dict(best.features) if best.values else {}
        describer = self.finder.describer
        stated = max(
            (
                describer.fact(q, FactRef(f), pool[f][0], pool[f][1], base, self.meaning.fact(dense, f))
                for f in sorted(chosen & pool.keys())
            ),
            key=lambda c: c.rank_score,  # (the best ranked; at equal scores the first in file order)
        )
        # (A fact's and a window's ranking features are always there.)
        said, held = stated.values or (), best.values or ()
        # The window holds more of what was asked ("robots ... and patents?"), or is nearer it in meaning
        # ("astrazeneca is from where": the passage says "British", the fact not): it says more.
        if (
            best.kind != "fact"
            and said
            and held
            and any(said[i] < held[i] - 1e-9 for i in (_COVERAGE, _COSINE))
        ):
            return best
        return self._fact_for(q, stated, pool) if best.kind != "fact" else stated

    def _missed_max(self, q: Question, candidate: Candidate) -> float:
        """The weight share of the question's heaviest known term the candidate lacks (0 when none is).

        One rare word missing ("university" in "which university is X with") says more than several
        common ones: the question asks about something the text does not state.
        """
        tokens = self.finder.tokens_of(candidate, q.weights)
        missing = [w for t, w in q.weights.items() if t not in tokens]
        # Measured against the rarest possible term, not the question's total: a share of the total
        # falls as the question grows and so mostly repeats ``coverage``.
        return max(missing, default=0.0) / self.finder.index.unseen_idf
