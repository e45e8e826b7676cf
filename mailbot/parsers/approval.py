"""What a requester's reply on a solved ticket means (SPEC §5): approve, refuse, or other.

Rules, in French and English, case-, accent- and apostrophe-insensitive (’ counts as '):

- The subject counts when, once `Re:`/`TR:`/`Fwd:`… prefixes and the `[Ticket #59]` tag are
  removed, it is exactly an explicit verb: `APPROVE`/`REFUSE` or `APPROUVER`/`REFUSER` from the
  mailto links (`LINK_VERBS`),
  `approuvé`, `validé`, `refusé`, `#approve`… The short words (`ok`, `oui`, `non`, `no`,
  `d'accord`) count only in the text, since a ticket's title may begin with them. A subject
  verdict wins over the text; with `REFUSE`, the whole text is the reason (a leading `non`
  is dropped from it).
- Else the first words of the new text count, after an optional greeting (`Bonjour Jean,`).
  A keyword must be a whole word: `Nonobstant…` and `non-conforme` are `other`.
- `ok merci`, `Oui merci` approve: the keyword comes first and thanks add nothing.
- An approval word followed by `mais`/`but`/`sauf`/`except`/`however`/`par contre`… is
  `other` (`Ok mais toujours lent`): the requester hesitates, a technician should read it.
- `No problem`, `no worries`, `non seulement` are `other`: they are not refusals.
- The refusal reason is the rest of the line after the keyword plus the following lines,
  without leading punctuation (`non, toujours lent` → `toujours lent`). A reason that is
  only thanks (`Non merci`) is no reason: the requester will be asked for one.
- `Merci !` and anything else are `other`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class ApprovalIntent:
    kind: str  # `approve`, `refuse` or `other`
    reason: str = ""  # for `refuse`; "" when none was given


APPROVE, REFUSE, OTHER = "approve", "refuse", "other"

# The subjects of the solution mail's `mailto:` links, after the ticket tag, in the recipient's
# language: `[Ticket #59] APPROUVER`. Each is one of the subject verbs below.
LINK_VERBS = {"fr": {APPROVE: "APPROUVER", REFUSE: "REFUSER"}, "en": {APPROVE: "APPROVE", REFUSE: "REFUSE"}}

_APPROVE_VERBS = ("approve", "approved", "approuver", "j'approuve", "approuvé", "accept",
                  "accepted", "j'accepte", "accepté", "valide", "validé", "valider", "#approve")
_REFUSE_VERBS = ("refuse", "refused", "refuser", "je refuse", "refusé", "reject", "rejected",
                 "#refuse")
_SUBJECT_KEYWORDS = {**dict.fromkeys(_APPROVE_VERBS, APPROVE), **dict.fromkeys(_REFUSE_VERBS, REFUSE)}
_TEXT_KEYWORDS = {**_SUBJECT_KEYWORDS, "ok": APPROVE, "okay": APPROVE, "yes": APPROVE,
                  "oui": APPROVE, "d'accord": APPROVE, "no": REFUSE, "non": REFUSE}
_NOT_A_VERDICT = ("no problem", "no problemo", "no prob", "no worries", "no worry",
                  "non seulement")
_HESITATIONS = ("mais", "but", "sauf", "except", "however", "cependant", "pourtant",
                "par contre", "toutefois", "although", "though")
_GREETINGS = ("bonjour", "bonsoir", "salut", "coucou", "hello", "hi", "hey", "dear",
              "cher", "chère", "madame", "monsieur", "good morning", "good afternoon")

_THANKS = ("merci", "mercis", "remercie", "remerciements", "thanks", "thank", "thx", "cheers")
_POLITENESS = (
    "beaucoup", "bcp", "mille", "fois", "encore", "infiniment", "vraiment", "bien", "tres",
    "je", "vous", "te", "toi", "a", "pour", "votre", "ton", "ta", "tout", "aide",
    "intervention", "c", "est", "ca", "marche", "fonctionne", "parfait", "super", "top",
    "genial", "nickel", "excellent", "impeccable", "bon", "bonne", "journee", "soiree",
    "cordialement", "bientot", "ok", "okay", "oui", "bonjour", "bonsoir", "salut", "hello",
    "hi", "you", "very", "much", "so", "many", "lot", "for", "your", "the", "help", "again",
    "all", "perfect", "great", "cool", "good", "nice", "it", "works", "now", "have", "day",
    "regards", "best", "kind", "yes")
_MAX_THANK_YOU_WORDS = 8
_MAX_NAMES_IN_THANK_YOU = 2  # `Merci Jean !`, `Merci, Marie Curie`

_SUBJECT_PREFIX = re.compile(r"^\s*(?:re|tr|fw|fwd|aw|sv|wg|ref|réf)\s*(?:\[\d+\])?\s*:\s*", re.I)
_SUBJECT_TAG = re.compile(r"\s*\[[^\[\]]*#\s*\d+\s*\]\s*")
_LEADING_PUNCTUATION = " \t\r\n,;:.!-–—…"


def _fold(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold `text` and say, for each folded character, where it came from in `text`."""
    folded: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        part = _fold(char)
        folded.append(part)
        offsets.extend([index] * len(part))
    return "".join(folded), offsets


def _starts_with_word(folded: str, start: int, phrases) -> str | None:
    """The longest of `phrases` found at `start` as whole words (not `non` in `nonobstant`)."""
    for phrase in sorted((_fold(p) for p in phrases), key=len, reverse=True):
        end = start + len(phrase)
        if folded.startswith(phrase, start) and (end == len(folded) or not _in_word(folded[end])):
            return phrase
    return None


def _in_word(char: str) -> bool:
    return char.isalnum() or char in "-'_"


def _skip_punctuation(folded: str, start: int) -> int:
    while start < len(folded) and folded[start] in _LEADING_PUNCTUATION:
        start += 1
    return start


def _candidate_starts(folded: str) -> list[int]:
    """Where the first words may be: the start, or after a greeting like `Bonjour Jean,`."""
    start = _skip_punctuation(folded, 0)
    starts = [start]
    greeting = _starts_with_word(folded, start, _GREETINGS)
    if greeting:
        after = start + len(greeting)
        starts.append(_skip_punctuation(folded, after))
        line_end = folded.find("\n", after)
        line_end = len(folded) if line_end < 0 else line_end
        first_line = folded[after:line_end]
        stop = re.search(r"[,!.;:]", first_line)
        if stop and len(first_line[:stop.start()].split()) <= 3:
            starts.append(_skip_punctuation(folded, after + stop.end()))
        elif len(first_line.split()) <= 3:
            starts.append(_skip_punctuation(folded, line_end))
    return starts


def _verdict_in_text(text: str) -> tuple[str, str] | None:
    """(kind, what follows the keyword in `text`) from the first words, or None."""
    folded, offsets = _folded_with_offsets(text)
    for start in _candidate_starts(folded):
        if _starts_with_word(folded, start, _NOT_A_VERDICT):
            return None
        keyword = _starts_with_word(folded, start, _TEXT_KEYWORDS)
        if keyword is None:
            continue
        end = start + len(keyword)
        kind = _TEXT_KEYWORDS_FOLDED[keyword]
        if kind == APPROVE and _starts_with_word(folded, _skip_punctuation(folded, end), _HESITATIONS):
            return None
        return kind, text[offsets[end]:] if end < len(offsets) else ""
    return None


_TEXT_KEYWORDS_FOLDED = {_fold(k): v for k, v in _TEXT_KEYWORDS.items()}
_SUBJECT_KEYWORDS_FOLDED = {_fold(k): v for k, v in _SUBJECT_KEYWORDS.items()}


def _subject_keyword(subject: str) -> str | None:
    subject = _SUBJECT_TAG.sub(" ", subject)
    previous = None
    while previous != subject:  # `RE: TR: Re: [Ticket #59] REFUSE`
        previous, subject = subject, _SUBJECT_PREFIX.sub("", subject).strip()
    return _SUBJECT_KEYWORDS_FOLDED.get(_fold(subject.strip(_LEADING_PUNCTUATION)))


def _reason(rest: str) -> str:
    reason = rest.lstrip(_LEADING_PUNCTUATION).strip()
    return "" if is_thank_you(reason) else reason


def read_reply(subject: str, new_text: str) -> ApprovalIntent:
    """Read a requester's reply to a solution: the subject keyword first, else the text."""
    from_text = _verdict_in_text(new_text)
    kind = _subject_keyword(subject)
    if kind == APPROVE:
        return ApprovalIntent(APPROVE)
    if kind == REFUSE:
        said = from_text[1] if from_text is not None and from_text[0] == REFUSE else new_text
        return ApprovalIntent(REFUSE, _reason(said))
    if from_text is None:
        return ApprovalIntent(OTHER)
    kind, rest = from_text
    return ApprovalIntent(kind, _reason(rest) if kind == REFUSE else "")


def is_thank_you(text: str) -> bool:
    """A short thank-you and nothing else (SPEC §2): `Merci !`, `Thanks, perfect`.

    At most 8 words, one of them a thanks word, the others politeness (`beaucoup`,
    `bonne journée`, `ça marche`, `perfect`) or at most two capitalised names
    (`Merci Jean !`). A question mark or a number means there is more to it.
    """
    if "?" in text or re.search(r"\d", text):
        return False
    words = re.findall(r"[^\W\d_]+", text)
    if not words or len(words) > _MAX_THANK_YOU_WORDS:
        return False
    folded = [_fold(w) for w in words]
    if not any(w in _THANKS for w in folded):
        return False
    unknown = [w for w, f in zip(words, folded, strict=True) if f not in _THANKS and f not in _POLITENESS]
    return len(unknown) <= _MAX_NAMES_IN_THANK_YOU and all(w[0].isupper() for w in unknown)
