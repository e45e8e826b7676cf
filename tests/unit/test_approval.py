"""How a requester's reply to a solution is read (SPEC §5), and what counts as a thank-you."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.parsers.approval import ApprovalIntent, is_thank_you, read_reply

REPLY = "Re: [Ticket #59] Ordinateur très lent"


@pytest.mark.parametrize("text", [
    "approve", "Approved", "accept", "OK", "ok", "Ok.", "okay", "yes", "Yes!", "oui", "Oui",
    "OUI", "j'approuve", "J’approuve", "approuvé", "Approuve", "APPROUVÉ", "valide", "Validé !",
    "validé", "d'accord", "D’accord", "D'accord, merci", "#approve", "#APPROVE",
    "ok merci", "Oui merci", "Oui, ça marche, merci beaucoup !", "Yes, it works now. Thanks",
    "Bonjour,\n\nOui c'est bon.", "Bonjour Jean, oui c'est réglé", "Hi,\nyes it works",
    "  \n oui", "Oui\n\nCordialement",
])
def test_approval_words_at_the_start_of_the_text_approve(text):
    assert read_reply(REPLY, text) == ApprovalIntent("approve")


@pytest.mark.parametrize("text, reason", [
    ("non", ""), ("Non", ""), ("NON !", ""), ("no", ""), ("non, toujours lent", "toujours lent"),
    ("Non : toujours lent.", "toujours lent."), ("non - toujours lent", "toujours lent"),
    ("No, still slow", "still slow"), ("refuse", ""), ("Refused: still slow", "still slow"),
    ("reject", ""), ("je refuse, l'écran reste noir", "l'écran reste noir"),
    ("Je refuse", ""), ("refusé", ""), ("Refusé. Le son ne marche pas", "Le son ne marche pas"),
    ("#refuse écran noir", "écran noir"), ("#REFUSE", ""),
    ("Non, toujours lent.\nEt très bruyant.", "toujours lent.\nEt très bruyant."),
    ("Non\ntoujours lent", "toujours lent"),
    ("Bonjour,\n\nNon, toujours lent.", "toujours lent."),
    ("Non merci", ""), ("Non, merci !", ""),
])
def test_refusal_words_at_the_start_of_the_text_refuse_with_the_rest_as_reason(text, reason):
    assert read_reply(REPLY, text) == ApprovalIntent("refuse", reason)


@pytest.mark.parametrize("text", [
    "Merci !", "Merci beaucoup", "Thanks", "", "Est-ce que je dois redémarrer ?",
    "Nonobstant la réparation, l'écran clignote", "Nouvelle question", "Noted", "Okapi",
    "Yesterday it worked", "non-conforme", "No problem, thanks", "No worries",
    "Non seulement c'est réparé, mais c'est plus rapide", "Ok mais toujours lent",
    "Oui, mais le son ne marche pas", "OK but still slow", "Oui par contre l'imprimante…",
    "Pas ok", "Not ok", "C'est toujours lent, non ?", "Je ne refuse pas", "Merci, oui",
])
def test_anything_else_is_other(text):
    assert read_reply(REPLY, text) == ApprovalIntent("other")


@pytest.mark.parametrize("subject", [
    "[Ticket #59] APPROVE", "Re: [Ticket #59] APPROVE", "RE: TR: [Ticket #59] approve",
    "[#59] APPROVE", "[Ticket #59] Approuvé", "[Ticket #59] validé", "Fwd: [Ticket #59] #approve",
    "[Ticket #59] APPROVE.",
])
def test_the_approve_subject_of_the_mailto_link_approves(subject):
    assert read_reply(subject, "") == ApprovalIntent("approve")


@pytest.mark.parametrize("subject, text, reason", [
    ("[Ticket #59] REFUSE", "", ""),
    ("Re: [Ticket #59] REFUSE", "Toujours lent.", "Toujours lent."),
    ("[Ticket #59] REFUSE", "Non : toujours lent.", "toujours lent."),
    ("[Ticket #59] Refusé", "- toujours lent", "toujours lent"),
    ("[Ticket #59] REFUSE", "Merci", ""),
])
def test_the_refuse_subject_refuses_with_the_text_as_reason(subject, text, reason):
    assert read_reply(subject, text) == ApprovalIntent("refuse", reason)


def test_the_subject_keyword_wins_over_the_text():
    assert read_reply("[Ticket #59] APPROVE", "non").kind == "approve"
    assert read_reply("[Ticket #59] REFUSE", "oui").kind == "refuse"


@pytest.mark.parametrize("subject", [
    "Re: [Ticket #59] Non fonctionnement imprimante", "Re: [Ticket #59] OK", "Re: [Ticket #59] Non",
    "Re: [Ticket #59] Oui", "Re: Approve the budget",
])
def test_a_title_that_starts_with_a_short_word_is_not_a_verdict(subject):
    assert read_reply(subject, "Merci !") == ApprovalIntent("other")


@pytest.mark.parametrize("text", [
    "Merci !", "merci", "Merci beaucoup", "Merci beaucoup !!", "Thanks, perfect", "Thank you",
    "Thank you very much!", "Thanks a lot", "Merci Jean !", "Merci, ça marche !",
    "Merci pour votre aide, bonne journée", "Super, merci", "ok merci", "Oui merci 😀",
    "Mille mercis", "Merci\n\nCordialement,\nMarie Curie", "Parfait, merci à vous",
])
def test_a_short_thank_you_and_nothing_else_is_a_thank_you(text):
    assert is_thank_you(text)


@pytest.mark.parametrize("text", [
    "", "ok", "Parfait", "Merci, ça ne marche pas", "Merci ?", "Merci, pouvez-vous passer en salle 203",
    "Merci mais toujours lent", "Toujours lent merci", "Merci mais le problème est revenu ce matin",
    "Merci beaucoup pour votre aide rapide, bonne journée à vous tous", "Merci, j'ai un autre souci",
])
def test_anything_more_than_thanks_is_not_a_thank_you(text):
    assert not is_thank_you(text)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_any_reply_is_read_as_one_of_three_kinds(subject, text):
    intent = read_reply(subject, text)
    assert intent.kind in {"approve", "refuse", "other"}
    assert intent.reason == "" or intent.kind == "refuse"
    is_thank_you(text)
