"""Reconnect delays: doubling from the first, capped, jittered within the upper half, reset on success."""

from mailbot.backoff import Backoff


def test_delays_double_up_to_the_cap_and_stay_in_the_upper_half():
    highest = Backoff(1, 8, rand=lambda: 0.999999)
    lowest = Backoff(1, 8, rand=lambda: 0.0)
    assert [round(highest.next_delay(), 3) for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    assert [lowest.next_delay() for _ in range(5)] == [0.5, 1, 2, 4, 4]


def test_a_success_starts_again_from_the_first_delay():
    backoff = Backoff(1, 60, rand=lambda: 1.0)
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 1 and backoff.failures == 1


def test_two_pollers_losing_a_server_do_not_come_back_in_step():
    delays = {Backoff(1, 60).next_delay() for _ in range(20)}
    assert len(delays) > 1 and all(0.5 <= d <= 1 for d in delays)
