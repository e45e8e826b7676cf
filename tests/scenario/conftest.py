import pytest

from tests.scenario.helpdesk import Helpdesk
from tests.scenario.web import seed_school


@pytest.fixture
def helpdesk(tmp_path):
    desk = Helpdesk(tmp_path)
    yield desk
    desk.close()


@pytest.fixture
def school(tmp_path):
    """The school's helpdesk of the web desk's tests (tests/scenario/web.py `seed_school`): new
    tickets go to the Réseau group (MAILBOT_DEFAULT_GROUP)."""
    desk = Helpdesk(tmp_path, default_group="Réseau")
    seed_school(desk)
    yield desk
    desk.close()
