"""`mailbot run` looks whether the morning digest is due every minute, with automatic closing."""

from types import SimpleNamespace

from mailbot.runner import PERIODIC_SECONDS, Periodic


class CountingApp:
    def __init__(self) -> None:
        self.settings = SimpleNamespace(reconnect_max_seconds=60.0, relay_seconds=30.0)
        self.digests = 0
        self.actors = SimpleNamespace(autoclose=SimpleNamespace(send=lambda: None))

    def relay_due(self) -> int:
        return 0

    def digest(self) -> list[str]:
        self.digests += 1
        return []


def test_the_digest_is_looked_at_once_a_minute():
    app = CountingApp()
    periodic = Periodic(app)  # type: ignore[arg-type]
    now = 0.0
    while now < 10 * 60:
        now += periodic.run_due(now)
    assert PERIODIC_SECONDS == 60 and app.digests == 10
