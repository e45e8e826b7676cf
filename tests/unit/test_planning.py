"""workflow/planning.py: the planned tasks of a technician or a group between two moments."""

from datetime import UTC, datetime, timedelta

import pytest

from mailbot.workflow.db import Database
from mailbot.workflow.models import Group, Task, Ticket, User
from mailbot.workflow.planning import DEFAULT_MINUTES, planned_tasks, task_end

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def session(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    db.upgrade()
    with db.transaction() as session:
        yield session
    db.dispose()


def _world(session):
    reseau, other = Group(name="Réseau"), Group(name="Vie scolaire")
    camille = User(email="camille@l.example", name="Camille", is_technician=True, group=reseau, created_at=T0)
    sami = User(email="sami@l.example", name="Sami", is_technician=True, group=reseau, created_at=T0)
    zoe = User(email="zoe@l.example", name="Zoé", is_technician=True, group=other, created_at=T0)
    prof = User(email="prof@l.example", created_at=T0)
    session.add_all([reseau, other, camille, sami, zoe, prof])
    ticket = Ticket(title="Imprimante", requester=prof, created_at=T0, updated_at=T0)
    session.add(ticket)
    session.flush()

    def task(author, begin, minutes=30, end=None, content="", state="todo"):
        row = Task(ticket_id=ticket.id, author_id=author.id, begin=begin, end=end, duration_minutes=minutes,
                   content=content, state=state, created_at=T0)
        session.add(row)
        return row

    task(camille, T0 + timedelta(hours=6), 90, content="toner")
    task(camille, T0 + timedelta(days=8), content="next week")
    task(sami, T0 + timedelta(hours=2), content="sami's")
    task(zoe, T0 + timedelta(hours=3), content="zoé's")
    task(camille, None, 15, content="done, not planned", state="done")
    task(camille, T0 - timedelta(minutes=20), 0, content="began before, ends inside")
    session.flush()
    return camille, sami, reseau


def test_a_technicians_planning_is_their_own_planned_tasks_in_the_window_in_time_order(session):
    camille, _sami, _group = _world(session)
    tasks = planned_tasks(session, T0, T0 + timedelta(days=7), user_id=camille.id)
    assert [t.content for t in tasks] == ["began before, ends inside", "toner"]
    toner = tasks[1]
    assert (toner.begin, toner.end, toner.ticket_title, toner.technician) == (
        T0 + timedelta(hours=6), T0 + timedelta(hours=7, minutes=30), "Imprimante", "camille@l.example")


def test_a_groups_planning_is_its_technicians_tasks(session):
    camille, _sami, group = _world(session)
    tasks = planned_tasks(session, T0, T0 + timedelta(days=1), group_id=group.id)
    assert [t.content for t in tasks] == ["began before, ends inside", "sami's", "toner"]
    both = planned_tasks(session, T0, T0 + timedelta(days=1), user_id=camille.id, group_id=group.id)
    assert [t.content for t in both] == [t.content for t in tasks]


def test_a_task_that_ended_before_the_window_is_left_out(session):
    camille, _sami, _group = _world(session)
    tasks = planned_tasks(session, T0 + timedelta(hours=1), T0 + timedelta(days=1), user_id=camille.id)
    assert [t.content for t in tasks] == ["toner"]  # "began before" lasted 60 min from 7:40


def test_the_end_of_a_task(session):
    assert task_end(T0, None, 45) == T0 + timedelta(minutes=45)
    assert task_end(T0, None, 0) == T0 + timedelta(minutes=DEFAULT_MINUTES)
    assert task_end(T0, T0 + timedelta(hours=3), 45) == T0 + timedelta(hours=3)
    assert task_end(T0, T0 - timedelta(hours=1), 45) == T0 + timedelta(minutes=45)  # an end before the beginning


def test_planned_tasks_needs_someone(session):
    with pytest.raises(ValueError):
        planned_tasks(session, T0, T0 + timedelta(days=1))


def test_the_coming_days_as_the_tickets_answer_wants_them(session):
    from mailbot.workflow.planning import coming_days

    camille, _sami, _group = _world(session)
    assert coming_days(session, camille.id, T0, days=1) == [
        {"ticket_id": 1, "title": "Imprimante", "begin": (T0 - timedelta(minutes=20)).isoformat(),
         "end": (T0 + timedelta(minutes=40)).isoformat(), "content": "began before, ends inside"},
        {"ticket_id": 1, "title": "Imprimante", "begin": (T0 + timedelta(hours=6)).isoformat(),
         "end": (T0 + timedelta(hours=7, minutes=30)).isoformat(), "content": "toner"}]
    assert len(coming_days(session, camille.id, T0, days=30, limit=1)) == 1
