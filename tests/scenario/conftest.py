import pytest

from tests.scenario.helpdesk import Helpdesk


@pytest.fixture
def helpdesk(tmp_path):
    desk = Helpdesk(tmp_path)
    yield desk
    desk.close()
