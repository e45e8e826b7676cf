"""The words of a knowledge-base search: what someone typed (or a new ticket's title and text)
turned into a few search terms, French and English alike.

Accents and case are dropped, then common words (`le`, `de`, `the`, `bonjour`, `merci`, …),
then each word is stemmed by the French and the English Snowball stemmers
(`imprimantes` → `imprim`, `passwords` → `password`). The SQLite index, which does not stem,
looks these stems up as prefixes (`imprim*`); PostgreSQL stems with its own `french` and
`english` configurations and is given the folded words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

MAX_TERMS = 24  # a long ticket text: the first words say most of what it is about
MIN_PREFIX = 3  # a shorter stem is looked up whole (`pc`, `ip`), never as a prefix

# Words that say nothing about the problem: grammar words and the politeness of a request.
STOPWORDS = frozenset("""
a ai aie ainsi alors apres au aucun aussi autre aux avant avec avez avoir avons bien bonjour bonsoir
ca car ce ceci cela celle celui ces cet cette chez ci comme comment cordialement dans de depuis des
deux donc dont du elle elles en encore entre est et etait ete etre eu faire fait fois il ils je jour
la le les leur leurs lors lui ma mais me meme merci mes moi mon ne ni nos notre nous on ont ou par pas
peu peut peux plus pour pourriez pourtant puis quand que quel quelle qui sa sans se ses si son sont
sous suis sur svp ta te tes toi ton tous tout tres tu un une vos votre vous y
about after again all also am an and any are as at be been before being but by can could did do does
doing dear for from had has have having he hello her here hi his how i if in into is it its just me
my no not now of off on once only or our out over please regards she should so some than thanks
thank that the their them then there these they this those to too under until up very was we were
what when where which while who why will with would you your
eleve eleves professeur professeurs prof profs enseignant enseignants lycee college salle
student students teacher teachers room school
""".split())
# (the last two lines: words every school mail uses, whatever its problem)

# Words written in two or more pieces: a query for one finds the other (`wifi`, `Wi-Fi`).
COMPOUNDS = {"wifi": ("wi", "fi"), "email": ("e", "mail")}
_COMPOUND_SPELLINGS = re.compile(r"\b(wi|e)[\s-]?(fi|mail)\b")

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Terms:
    """The search terms of a query: `words` folded (for PostgreSQL), `stems` (for SQLite), one
    word per stem, in the same order."""

    words: tuple[str, ...]
    stems: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()  # the pieces of COMPOUNDS words, looked up as phrases

    def __bool__(self) -> bool:
        return bool(self.words)


def fold(text: str) -> str:
    """Lower case without accents: `Clé USB` → `cle usb`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """The shorter of the French and English stems of a folded word."""
    french = _stemmer("french").stemWord(word)
    english = _stemmer("english").stemWord(word)
    return min(french, english, key=len)


@lru_cache(maxsize=2)
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


def terms(text: str, limit: int = MAX_TERMS) -> Terms:
    """The distinct meaningful words of `text`, in order, at most `limit`."""
    words: dict[str, None] = {}  # a dict keeps the order and answers `in` at once
    folded = _COMPOUND_SPELLINGS.sub(_joined, fold(text))
    for word in _WORD.findall(folded):
        if len(word) < 2 or word in STOPWORDS or word in words or word.isdigit():
            continue
        words[word] = None
        if len(words) == limit:
            break
    by_stem: dict[str, str] = {}  # one word per stem, the first: `words` and `stems` go together
    for word in words:
        by_stem.setdefault(stem(word), word)
    kept = tuple(by_stem.values())
    return Terms(kept, tuple(by_stem), tuple(COMPOUNDS[w] for w in kept if w in COMPOUNDS))


def _joined(match: re.Match[str]) -> str:
    word = match[1] + match[2]
    return word if word in COMPOUNDS else match[0]


# the stems of COMPOUNDS words (`wif`): their pieces are looked up too
COMPOUND_STEMS = {stem(word): pieces for word, pieces in COMPOUNDS.items()}
