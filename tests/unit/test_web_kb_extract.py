"""The extracts of the desk's knowledge-base results: the search's marks become `<mark>`, and
nothing else of an article's text is HTML (mailbot/web/kb.py)."""

from mailbot.web.kb import highlighted
from mailbot.workflow.kb_search import START, STOP


def test_only_the_marks_become_html():
    extract = f"Vider le {START}cache{STOP} <b>puis</b> & relancer {START}Pronote{STOP}"
    assert str(highlighted(extract)) == ("Vider le <mark>cache</mark> &lt;b&gt;puis&lt;/b&gt; &amp; relancer "
                                         "<mark>Pronote</mark>")


def test_a_mark_character_of_the_text_itself_opens_nothing():
    extract = f"avant{START} <i>rien</i> {START}mot{STOP} après{STOP}"
    assert str(highlighted(extract)) == "avant &lt;i&gt;rien&lt;/i&gt; <mark>mot</mark> après"
