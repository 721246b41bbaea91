"""The answer path: one module per stage, each handing the next a typed value. Read this first.

``Composer.answer(text)`` (``composer.py``) is render(decide(analyse(text))). ``analyse.py`` turns the text
into a ``Question`` (``question.py``): cleaned and spelled, its content words weighted, the names and places
it uses, and the type of answer it wants, read from the table in ``intents.py``, the one place that says
what a question asks for. ``candidates.py`` gathers what could answer it: curated facts, one- and
two-sentence windows of the passages BM25 and the dense channel (``dense.py``) retrieve, and lists;
``features.py`` scores each with its named ``RankFeatures``, and ``pruning.py`` only skips work that cannot
change the outcome. ``decide.py`` takes the best candidate, adds the decision features and asks the fitted
model (``knowledge/decide.py``, its weights in ``knowledge/decision.json``) how likely it is right; the
vetoes in ``gates.py`` and the threshold decline, and every decline carries its reason. ``render.py`` makes
the text and sources the user sees. ``python -m knowledge.explain "a question"`` shows all of it for one
question. A new type of answer is a row of ``intents.INTENTS`` and, when texts need a new trait to show they
give it, a row of ``knowledge.traits.TRAITS``, with its test (the "duration" type was added so).
"""
