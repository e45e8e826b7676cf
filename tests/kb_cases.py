"""Knowledge-base search behaviour, checked the same way on SQLite (tests/unit) and on
PostgreSQL (tests/integration): each function takes a migrated, empty Database."""

from __future__ import annotations

from datetime import UTC, datetime

from mailbot.workflow import kb
from mailbot.workflow.db import Database
from mailbot.workflow.kb_search import START, STOP, search
from mailbot.workflow.models import KbArticle

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ARTICLES = [
    ("L'imprimante de la salle des professeurs n'imprime plus",
     "Vérifier le bac à papier, puis redémarrer l'imprimante. Si le voyant orange clignote, réinstaller le pilote.",
     "imprimantes", "published"),
    ("Forgotten Pronote password",
     "Pronote passwords are reset from the ENT: open My account, then Forgotten password.", "ent", "draft"),
    ("Clé USB non reconnue",
     "Essayer un autre port ; la clé doit être formatée en FAT32 ou exFAT.", "postes", "published"),
    ("Le vidéoprojecteur n'affiche rien",
     "Vérifier le câble HDMI et choisir la bonne source avec la télécommande. Pour une imprimante, voir la fiche 1.",
     "salles", "published"),
]


def fill(db: Database) -> list[int]:
    with db.transaction() as session:
        ids = [kb.save_article(session, title=t, content=c, category=cat, status=st, ticket_id=None,
                               author_id=None, now=NOW).id for t, c, cat, st in ARTICLES]
    return ids


def ids(db: Database, query: str, **options: object) -> list[int]:
    with db.transaction() as session:
        return [hit.id for hit in search(session, query, **options)]  # type: ignore[arg-type]


def check_words_match_whatever_their_ending_and_accents(db: Database) -> None:
    printer, password, usb, projector = fill(db)
    assert ids(db, "imprimantes")[0] == printer  # plural of the title's word
    assert ids(db, "imprimer")[0] == printer  # the verb
    assert ids(db, "password")[0] == password
    assert ids(db, "mot de passe pronote")[0] == password  # French query, English article
    assert ids(db, "cle usb") == [usb]  # no accent typed
    assert ids(db, "VIDEOPROJECTEUR")[0] == projector
    assert ids(db, "cantine menu") == []
    assert ids(db, "le la de") == []  # nothing but common words


def check_the_title_weighs_more_than_the_text(db: Database) -> None:
    printer, _, _, projector = fill(db)
    assert ids(db, "imprimante")[:2] == [printer, projector]  # the projector's text names a printer too


def check_requesters_only_find_published_articles(db: Database) -> None:
    _, password, _, _ = fill(db)
    assert ids(db, "pronote") == [password]
    assert ids(db, "pronote", published_only=True) == []


def check_extracts_mark_the_words_found(db: Database) -> None:
    fill(db)
    with db.transaction() as session:
        [hit] = search(session, "FAT32")
    assert f"{START}FAT32{STOP}" in hit.extract
    assert "formatée en FAT32 ou exFAT" in hit.extract.replace(START, "").replace(STOP, "")  # the text, as written


def check_the_index_follows_edits_and_deletions(db: Database) -> None:
    printer, _, usb, _ = fill(db)
    with db.transaction() as session:
        article = session.get(KbArticle, usb)
        assert article is not None
        kb.edit(article, title="Lecteur de clé bloqué", content="Redémarrer le poste Windows.", by=None, now=NOW)
    assert ids(db, "FAT32") == []
    assert ids(db, "windows") == [usb]
    with db.transaction() as session:
        session.delete(session.get(KbArticle, printer))
    assert printer not in ids(db, "imprimante")


def check_articles_holding_every_word_come_first(db: Database) -> None:
    with db.transaction() as session:
        printer = kb.save_article(session, title="Imprimante, imprimantes", content="Imprimante : l'imprimante imprime.",
                                  ticket_id=None, author_id=None, now=NOW).id
        both = kb.save_article(session, title="Code du photocopieur", content="Le code se demande à l'intendance.",
                               ticket_id=None, author_id=None, now=NOW).id
        jammed = kb.save_article(session, title="Feuille coincée", content="Un bourrage ? Ouvrir l'imprimante.",
                                 ticket_id=None, author_id=None, now=NOW).id
    assert ids(db, "bourrage imprimante")[0] == jammed  # before the article that says imprimante three times
    assert ids(db, "imprimante")[:2] == [printer, jammed]  # one word: the best ranked
    assert both not in ids(db, "bourrage imprimante")


CASES = [check_words_match_whatever_their_ending_and_accents, check_the_title_weighs_more_than_the_text,
         check_requesters_only_find_published_articles, check_extracts_mark_the_words_found,
         check_the_index_follows_edits_and_deletions, check_articles_holding_every_word_come_first]
