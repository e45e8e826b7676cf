"""The sign-off at the end of a technician's command mail (docs/BEHAVIOUR.md, "Technician
commands"): `Cordialement,\\nCamille`, `Thanks,\\nCamille Tech`, a `-- ` block or `Envoyé de
mon iPhone` is a signature, not a message for the requester.

`strip_signoff` takes the text left once the command lines are out and the sender's name
parts (`name_parts`), and drops, from the end:

- a `-- ` line and everything below it, and a phone line (`Sent from my iPhone`);
- the sign-off block: from a line that is a sign-off (a phrase of SIGN_OFFS, which may be
  followed by FILLERS and names: `Bonne journée, Camille`, `Merci à vous`), the sender's
  name alone (`Camille`, `Camille T.`) or a phone line, down to the end. The line under a
  sign-off may be any name (capitalised words: the sender may be known by another name).
  Below a name, short lines of a signature card (`Technicienne informatique`, `Tél. 01 23
  45 67 89`: at most CARD_WORDS words, not ending like a sentence) belong to the block too;
  with no name above them they are read as text, since a short line may be a real message;
- then, when all that is left is greetings (`Bonjour,`, `Bonjour Loïc,`), nothing is left.

A line that is a real sentence (`Merci pour votre patience.`, `Je passe cet après-midi.`)
ends the search: it and everything above it stays. Words are compared without case and
accents. Pure: no database, no configuration.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from mailbot.parsers.quoting import SENT_FROM, SIGNATURE_SEPARATOR

SIGN_OFFS_FR = (
    "cordialement", "bien cordialement", "très cordialement", "cordialement vôtre", "cdlt", "cdt",
    "bien à vous", "bien à toi", "bàv", "salutations", "sincères salutations",
    "meilleures salutations", "salutations distinguées", "amicalement", "amitiés", "bises",
    "bonne journée", "bonne soirée", "bonne fin de journée", "bonne après-midi", "bon après-midi",
    "bonne fin d'après-midi", "bon week-end", "bon weekend", "bonne semaine", "bonne continuation",
    "à bientôt", "à plus", "à demain", "salut", "merci", "merci beaucoup", "merci bien",
    "merci d'avance", "merci par avance", "un grand merci", "encore merci",
)
SIGN_OFFS_EN = (
    "regards", "best regards", "kind regards", "warm regards", "warmest regards", "many regards",
    "best wishes", "best", "all the best", "cheers", "thanks", "thank you", "many thanks",
    "thanks a lot", "thanks again", "thanks in advance", "thank you in advance", "thx", "sincerely",
    "yours sincerely", "sincerely yours", "yours truly", "yours", "have a nice day",
    "have a good day", "have a great day", "have a good weekend", "have a nice weekend",
    "talk soon", "see you", "br", "rgds",
)
# Words that may stand among sign-off phrases on a line: `Merci à vous`, `Thanks and regards`.
FILLERS = frozenset({"a", "vous", "toi", "tous", "toutes", "et", "encore", "de", "nouveau",
                     "again", "all", "everyone", "to", "you", "and"})
GREETINGS = ("bonjour", "bonsoir", "salut", "coucou", "bonjour à tous", "bonjour à toutes et à tous",
             "hello", "hi", "hey", "dear", "good morning", "good afternoon", "hello all", "hi all")
# Titles that may stand between a greeting and a name: `Bonjour M. Medori,`
TITLES = frozenset({"m", "mme", "mlle", "mr", "mrs", "ms", "dr", "madame", "monsieur"})

CARD_WORDS = 6  # a signature card line below the name: `Lycée Jean Moulin`, `Tél. 01 23 45 67 89`
MAX_BLOCK_LINES = 12  # a sign-off block is never longer than this (blank lines included)
MAX_SIGN_OFF_WORDS = 8  # a sign-off line: phrases, fillers and names

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…:;]\s*$")
PARTICLES = frozenset({"de", "du", "des", "la", "le", "d", "van", "von", "der"})  # Jean de La Fontaine


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[tuple[str, str]]:
    """(folded, as written) for each word of the text."""
    return [(fold(word), word) for word in _WORD.findall(text)]


def _phrases(table: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({tuple(w for w, _ in _words(p)) for p in table}, key=len, reverse=True))


_SIGN_OFFS = _phrases(SIGN_OFFS_FR + SIGN_OFFS_EN)
_GREETINGS = _phrases(GREETINGS)


def name_parts(*names: str) -> frozenset[str]:
    """The words a sender may sign with: from display names and the local part of addresses
    (`Camille Tech`, `camille.tech@lycee.example`), each hyphenated name also in its parts."""
    parts: set[str] = set()
    for name in names:
        text = name.partition("@")[0] if "@" in name else name
        for word, _ in _words(re.sub(r"[._+]", " ", text)):
            parts.update(w for w in (word, *word.split("-")) if len(w) > 1)
    return frozenset(parts)


def _after_phrase(words: list[tuple[str, str]], phrases: tuple[tuple[str, ...], ...]) -> list[tuple[str, str]] | None:
    folded = tuple(w for w, _ in words)
    for phrase in phrases:
        if folded[:len(phrase)] == phrase:
            return words[len(phrase):]
    return None


def _is_own_name(words: list[tuple[str, str]], names: frozenset[str]) -> bool:
    """`Camille`, `Camille Tech`, `Camille T.`: the sender's names, initials allowed."""
    return any(w in names for w, _ in words) and all(w in names or len(w) == 1 for w, _ in words)


def _looks_like_a_name(words: list[tuple[str, str]], names: frozenset[str]) -> bool:
    """`Camille`, `Loïc Medori`, `Jean de La Fontaine`: capitalised words (or the sender's)."""
    return 0 < len(words) <= 4 and all(
        w in names or w in PARTICLES or written[:1].isupper() for w, written in words)


def _is_sign_off(words: list[tuple[str, str]], names: frozenset[str]) -> bool:
    """Phrases of the table and fillers, then names: `Bonne journée, Camille`, `Merci à vous`,
    `Merci et bonne journée`."""
    rest = _after_phrase(words, _SIGN_OFFS)
    if rest is None or len(words) > MAX_SIGN_OFF_WORDS:
        return False
    while rest:
        if rest[0][0] in FILLERS:
            rest = rest[1:]
        elif (after := _after_phrase(rest, _SIGN_OFFS)) is not None:
            rest = after
        else:
            break
    return not rest or _looks_like_a_name(rest, names)


def _is_phone(line: str) -> bool:
    return bool(SENT_FROM.search(line.strip()))


def _kind(line: str, names: frozenset[str]) -> str:
    """blank, phone, own_name, sign_off, name (capitalised words that may be a name, below a
    sign-off), card (a short line that may belong to a signature card), or text."""
    words = _words(line)
    if not words:
        return "blank" if not line.strip() else "card"
    if _is_phone(line):
        return "phone"
    if _is_own_name(words, names):
        return "own_name"
    if _is_sign_off(words, names):
        return "sign_off"
    if _SENTENCE_END.search(line) and len(words) > 1:
        return "text"
    if _looks_like_a_name(words, names):
        return "name"
    return "card" if len(words) <= CARD_WORDS else "text"


def _block_holds(kinds: list[str]) -> bool:
    """Whether these lines, from a sign-off, the sender's name or a phone line to the end,
    are a sign-off block."""
    if not kinds or kinds[0] not in ("own_name", "sign_off", "phone"):
        return False
    named = after_sign_off = False
    for kind in kinds:
        if kind == "blank":
            continue
        if kind == "name" and after_sign_off:
            named = True  # the name under `Cordialement,`, even one we do not know
        elif kind == "text" or kind in ("card", "name") and not named:
            return False
        named = named or kind == "own_name"
        after_sign_off = kind == "sign_off"
    return True


def _is_greeting(line: str) -> bool:
    """`Bonjour,`, `Bonjour Loïc,`, `Dear Mr Smith,`: a greeting and at most two names."""
    rest = _after_phrase(_words(line), _GREETINGS)
    return rest is not None and len(rest) <= 2 and all(
        w in TITLES or written[:1].isupper() for w, written in rest)


def strip_signoff(text: str, names: frozenset[str] = frozenset()) -> str:
    """The text without its trailing sign-off (see the module docstring), stripped."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if SIGNATURE_SEPARATOR.match(line.strip()) or _is_phone(line):
            lines = lines[:index]
            break
    kinds = [_kind(line, names) for line in lines]
    for start in range(max(0, len(lines) - MAX_BLOCK_LINES), len(lines)):
        if _block_holds(kinds[start:]):
            lines = lines[:start]
            break
    kept = "\n".join(lines).strip()
    if all(_is_greeting(line) or not line.strip() for line in kept.split("\n")):
        return ""
    return kept
