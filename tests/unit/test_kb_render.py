"""Knowledge-base extracts in mails: the words found between asterisks in the text part,
in <mark> in the HTML part, and the article's own text escaped."""

from mailbot.outbound.template_env import _kb_extract_html, _kb_extract_text
from mailbot.workflow.kb_search import START, STOP


def test_the_text_part_shows_the_words_found_between_asterisks():
    assert _kb_extract_text(f"Redémarrer l'{START}imprimante{STOP} <HP>") == "Redémarrer l'*imprimante* <HP>"


def test_the_html_part_marks_the_words_found_and_escapes_the_rest():
    html = _kb_extract_html(f"<script>x</script> {START}clé & USB{STOP} fin")
    assert str(html) == "&lt;script&gt;x&lt;/script&gt; <mark>clé &amp; USB</mark> fin"
