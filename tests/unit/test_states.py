"""The status table of SPEC §2, as the full matrix of allowed and forbidden moves."""

import pytest

from mailbot.errors import TransitionError
from mailbot.workflow.states import GLPI_CODE, TRANSITIONS, Status, can, label, next_status

N, A, P, W, S, C = (Status.NEW, Status.ASSIGNED, Status.PLANNED, Status.WAITING, Status.SOLVED,
                    Status.CLOSED)

# Every allowed move, written out by hand from SPEC §2 (not derived from the table under test).
ALLOWED = {
    ("assign", N): A,
    ("plan", N): P, ("plan", A): P,
    ("hold", N): W, ("hold", A): W, ("hold", P): W,
    ("resume_assigned", W): A,
    ("resume_planned", W): P,
    ("solve", N): S, ("solve", A): S, ("solve", P): S, ("solve", W): S, ("solve", S): S,
    ("approve", S): C,
    ("refuse", S): N,
    ("autoclose", S): C,
    ("close", N): C, ("close", A): C, ("close", P): C, ("close", W): C, ("close", S): C,
}

MATRIX = [(action, status) for action in TRANSITIONS for status in Status]


@pytest.mark.parametrize(("action", "status"), MATRIX)
def test_every_move_of_the_matrix_is_allowed_or_forbidden_as_the_spec_says(action, status):
    expected = ALLOWED.get((action, status))
    assert can(action, status) is (expected is not None)
    if expected is None:
        with pytest.raises(TransitionError) as caught:
            next_status(action, status)
        assert action in str(caught.value) and status.value in str(caught.value)
    else:
        assert next_status(action, status) is expected


def test_no_move_leaves_a_closed_ticket():
    assert not any(can(action, C) for action in TRANSITIONS)


def test_glpi_codes_and_french_labels():
    assert [GLPI_CODE[s] for s in Status] == [1, 2, 3, 4, 5, 6]
    assert label("planned", "fr") == "en cours (planifié)"
    assert label("waiting", "en") == "waiting"
    assert label("solved", "de") == "résolu"  # unknown language falls back to French
