"""Stage 3: the best candidate, the features the decision reads, and the verdict with its reason.

The candidates are ranked by their score; a fact quoting the best window takes its place; the runner-up
is the best candidate saying something else, and the margin between them, the heaviest question term
the best one lacks and how clearly it is what the question means are added to its features. The decision
model (``knowledge.decide``) turns them into a probability; the hard gates (``gates``) and the threshold
decline, each saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from knowledge.answering import gates
from knowledge.answering.candidate import Candidate, FactRef, WindowRef, same_content
from knowledge.answering.candidates import CandidateFinder
from knowledge.answering.decision import Decision
from knowledge.answering.dense import Meaning
from knowledge.answering.question import Question
from knowledge.decide import DecisionModel
from knowledge.models import Fact
from knowledge.text import TextRules


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
        # The hard gates, in order: the first that declines says why.
        self.vetoes: tuple[Callable[[Question, Candidate], str], ...] = (
            gates.type_gate,
            gates.AttributeGate(rules, finder.tokens_of),
        )

    def decide(self, q: Question, *, judged: bool = True, prune: bool = True) -> Decision:
        """The best fact, passage window or list for ``q`` and the decision on it (its text and sources
        built when it is the answer or ``judged``). ``prune`` is speed only: the same decision."""
        # A question with no word the knowledge base knows has no candidate, unless meaning can find one.
        asked = bool(q.weights or (self.meaning.index is not None and q.terms))
        candidates = self.finder.find(q, prune=prune) if asked else []
        if not candidates:
            return Decision(q, None, 0.0, False, self.related(q), gates.no_candidate(asked))
        candidates.sort(key=lambda c: -c.rank_score)
        best = self._fact_for(candidates[0], candidates)
        # The runner-up is the best candidate that does not say the same thing again (a window holding
        # the best sentence, the passage a fact quotes): how clearly the best answer stands out.
        runner_up = next((c for c in candidates[1:] if not same_content(c, best)), None)
        margin = best.rank_score - (runner_up.rank_score if runner_up else 0.0)
        best = best.described()
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
            best = self.materialise(best)
        return Decision(q, best, probability, answer, () if answer else self.related(q), reason)

    def veto(self, q: Question, best: Candidate) -> str:
        """The hard gate the best candidate fails, whatever its probability ("" when none)."""
        for gate in self.vetoes:
            reason = gate(q, best)
            if reason:
                return reason
        return ""

    def related(self, q: Question) -> tuple[Fact, ...]:
        """The facts offered with a decline (``FactTable.related``)."""
        return self.finder.facts.related(q)

    def _fact_for(self, best: Candidate, candidates: Sequence[Candidate]) -> Candidate:
        """A fact candidate quoting the best window's sentences, in its place: a curated fact is preferred to
        a passage saying the same thing (its sentence is written to answer, and it carries its as-of year)."""
        ref = best.ref
        if not isinstance(ref, WindowRef) or not self.meaning.segment_facts:
            return best
        first = int(self.finder.windows.sentences.seg_ptr[ref.passage]) + 1
        quoting = self.meaning.quoting(first, range(ref.start, ref.end))
        if not quoting:
            return best
        return next((c for c in candidates if isinstance(c.ref, FactRef) and c.ref.fact in quoting), best)

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
