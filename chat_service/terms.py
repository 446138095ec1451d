"""Words to terms for ranking: lower-cased, stop words dropped, Snowball-stemmed. The only PyStemmer user.

`analyzer(language)` returns the `Analyzer` for a site language (`en`, `de-AT`, `pt_BR`, `french`...); a
language Snowball has no stemmer for gets one that only lower-cases and splits, so such a site still works.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+")  # letters and digits: `follow_symlinks` is two words
# English function words and the words readers wrap around a question ("tell me about..."). Other languages
# keep every word: Snowball's stemmers work without a list, and a wrong list would drop real words.
_STOPWORDS = {
    "en": frozenset(
        "a an and are as at be but by can could do does did for from how i in is it its me my of on or so "
        "that the their them there these they this to was what whats when where which who why will with "
        "would you your about tell should s t m im am any some get much many use using need work works way "
        "possible instead else more please also really thing things have has had were been being not no than "
        "then too very just only into over again here all both each few most other such".split()
    )
}


class Analyzer:
    """Turns text into the terms that the index stores and the question is matched on."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.algorithm = _algorithm(language)  # the Snowball algorithm's name, or None
        self._stopwords = _STOPWORDS.get(language.split("-")[0].split("_")[0].lower(), frozenset())
        self._local = threading.local()  # a Stemmer object must not be shared between threads

    def words(self, text: str) -> list[str]:
        """The lower-cased words of `text`, without stop words, unstemmed."""
        return [word for word in _WORD.findall(text.lower()) if word not in self._stopwords]

    def terms(self, text: str) -> list[str]:
        """The stemmed words of `text`, in order, without stop words."""
        return self.stem(self.words(text))

    def stem(self, words: list[str]) -> list[str]:
        """Stem each word (unchanged when the language has no stemmer)."""
        if self.algorithm is None:
            return words
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = Stemmer.Stemmer(self.algorithm)
        return stemmer.stemWords(words)


def _algorithm(language: str) -> str | None:
    available = set(Stemmer.algorithms())
    for name in (language.lower(), language.split("-")[0].split("_")[0].lower()):
        if name in available:
            return name
        try:
            Stemmer.Stemmer(name)  # ISO codes ("en", "de") are accepted as aliases
            return name
        except KeyError:
            continue
    return None


@lru_cache(maxsize=32)
def analyzer(language: str) -> Analyzer:
    """The analyzer for a site language (cached: one per language)."""
    return Analyzer(language or "en")
