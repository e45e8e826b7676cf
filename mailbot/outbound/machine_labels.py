"""How notifications name inventory items, as jinja2 filters: `{{ item|machine_label }}` gives
`Ordinateur - 203-02` (the type in the mail's language), and `{{ why|machine_why }}` says why a
machine is proposed for a new ticket."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

from mailbot.workflow.machines import label

WHY = {
    "fr": {"name": "nommé dans le message", "serial": "son numéro de série est dans le message",
           "ip": "son adresse IP est dans le message", "last_user": "dernier poste utilisé par le demandeur"},
    "en": {"name": "named in the mail", "serial": "its serial number is in the mail",
           "ip": "its IP address is in the mail", "last_user": "the requester last used it"},
}


@pass_context
def machine_label(ctx: Any, item: Any) -> str:
    """An item of the ticket snapshot or a proposal: `{"type": "computer", "name": "203-02"}`;
    a free-text item (`type` None) reads as it was typed."""
    if not item.get("type"):
        return str(item.get("name", ""))
    return label(item["type"], item["name"], ctx["language"])


@pass_context
def machine_why(ctx: Any, why: Any) -> str:
    return WHY.get(ctx["language"], WHY["en"]).get(str(why), str(why))


FILTERS = {"machine_label": machine_label, "machine_why": machine_why}
