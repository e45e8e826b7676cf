"""Parallel intake's split by thread (parsers/partition.py): mails whose order matters stay in
one part, in file order; independent threads spread over the parts."""

from mailbot.parsers.partition import ThreadKeys, partition, thread_keys

HELPDESK = "helpdesk@lycee.example"


def keys(raw: str) -> ThreadKeys:
    return thread_keys(raw.replace("\n", "\r\n").encode(), helpdesk_address=HELPDESK)


def test_the_header_block_gives_thread_ids_ticket_numbers_and_people():
    found = keys("From: Anne <anne@lycee.example>\nTo: helpdesk+42@lycee.example\nCc: Bob@Lycee.example\n"
                 "Subject: RE: [Ticket #7] Imprimante\nMessage-ID: <c@x>\nIn-Reply-To: <b@x>\n"
                 "References: <a@x> <b@x>\n\nbody with Message-ID: <not-a-header@x>\n")
    assert found.ids == ("c@x", "b@x", "a@x")
    assert found.tickets == (7, 42)
    assert found.people == ("anne@lycee.example", "bob@lycee.example")  # not the helpdesk, lower-case


def test_a_reply_chain_stays_in_one_part_in_file_order_and_other_threads_spread():
    mails = [ThreadKeys(ids=("req1@x",), people=("anne@x",)),            # 0 request 1
             ThreadKeys(ids=("req2@x",), people=("bob@x",)),             # 1 request 2
             ThreadKeys(ids=("rep1@x", "req1@x"), people=("anne@x",)),   # 2 reply to 1
             ThreadKeys(ids=("rep2@x", "rep1@x"), people=("tech@x",)),   # 3 reply to the reply only
             ThreadKeys(ids=("req3@x",), people=("carl@x",)),            # 4 request 3
             ThreadKeys(ids=("x@x",), tickets=(2,), people=("tech@x",))]  # 5 names ticket #2 only
    parts = partition(mails, 3, known_people={"tech@x"})
    assert len(parts) == 3
    by_mail = {index: n for n, part in enumerate(parts) for index in part}
    assert by_mail[0] == by_mail[2] == by_mail[3]
    assert all(part == sorted(part) for part in parts)
    assert sorted(i for part in parts for i in part) == list(range(6))  # each mail exactly once
    assert len({by_mail[0], by_mail[1], by_mail[4]}) == 3  # three independent threads, three parts


def test_a_person_not_yet_a_user_ties_their_mails_a_known_one_does_not():
    mails = [ThreadKeys(ids=("a@x",), people=("new@x", "tech@x")),
             ThreadKeys(ids=("b@x",), people=("new@x",)),
             ThreadKeys(ids=("c@x",), people=("tech@x",))]
    parts = partition(mails, 3, known_people={"TECH@x"})
    assert [0, 1] in parts and [2] in parts


def test_the_same_ticket_number_ties_mails_and_weights_balance_the_parts():
    mails = [ThreadKeys(ids=(f"{n}@x",), tickets=(n % 2,) if n < 4 else ()) for n in range(6)]
    parts = partition(mails, 2, weights=[1, 1, 1, 1, 10, 1])
    # tickets #0: mails 0 and 2, #1: mails 1 and 3; mail 4 weighs as much as all the others
    assert sorted(parts) == [[0, 1, 2, 3, 5], [4]]


def test_one_part_keeps_every_mail_in_order_and_nothing_gives_nothing():
    mails = [ThreadKeys(ids=(f"{n}@x",)) for n in range(5)]
    assert partition(mails, 1) == [[0, 1, 2, 3, 4]]
    assert partition([], 4) == []
