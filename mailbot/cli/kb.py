"""`mailbot kb …`: the knowledge base on the command line (list, show, search)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailbot.cli.common import PLAIN, JsonFlag, display_tz, emit, read_only

kb_cli = typer.Typer(help="The knowledge base.", **PLAIN)


@kb_cli.command("list")
def kb_list(as_json: JsonFlag = False) -> None:
    """List the knowledge-base articles."""
    from mailbot.textview import local_time
    from mailbot.workflow.kb import all_articles, article_json

    articles = read_only(lambda session: [article_json(a) for a in all_articles(session)])
    emit(articles, as_json, lambda: (
        f"{a['id']:<5} {local_time(a['created_at'], display_tz())}  {a['status']:<9}  {a['title'][:60]:<60} "
        + (f"(from ticket #{a['ticket']})" if a["ticket"] else "") for a in articles),
        empty="no knowledge-base articles (a technician's #solve with #kb saves one)")


@kb_cli.command("show")
def kb_show(article_id: Annotated[int, typer.Argument(metavar="ID", help="The article's number.",
                                                      show_default=False)],
            as_json: JsonFlag = False) -> None:
    """One knowledge-base article, with its changes (who, when)."""
    from mailbot.textview import local_time
    from mailbot.workflow.kb import article_json, get_article

    article = read_only(lambda session: article_json(get_article(session, article_id)))

    def lines():
        category = f" · {article['category']}" if article["category"] else ""
        yield f"{article['title']}\n[{article['status']}{category}]\n\n{article['content']}\n"
        for revision in article["revisions"]:
            yield f"  {local_time(revision['at'], display_tz())}  {revision['action']:<11} {revision['by'] or ''}"

    emit(article, as_json, lines)


@kb_cli.command("search")
def kb_search(words: Annotated[list[str], typer.Argument(metavar="WORDS", help="What to look for.",
                                                         show_default=False)],
              published: Annotated[bool, typer.Option("--published",
                                                      help="Only the articles requesters may see.")] = False,
              limit: Annotated[int, typer.Option(metavar="N", min=1, max=100, help="At most N articles.")] = 10,
              as_json: JsonFlag = False) -> None:
    """The articles best matching WORDS (French or English; accents and endings do not matter)."""
    from mailbot.workflow.kb import hit_json
    from mailbot.workflow.kb_search import marked, search

    query = " ".join(words)
    hits = read_only(lambda session: [hit_json(h) for h in search(session, query, published_only=published,
                                                                limit=limit)])
    shown = [{**h, "extract": marked(h["extract"], "**", "**")} for h in hits]  # found words in **bold**
    emit(shown, as_json, lambda: (
        f"{h['id']:<5} {h['title']}  [{h['status']}{' · ' + h['category'] if h['category'] else ''}]\n"
        f"      {marked(h['extract'])}" for h in hits),
        empty=f"no knowledge-base article matches '{query}'")
