"""Reconnect delays: doubling from the first, capped, jittered within the upper half, reset on success."""

from mailbot.backoff import Backoff, capped_delay


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


def test_five_thousand_failures_in_a_row_wait_at_most_the_cap_and_never_raise():
    highest = Backoff(1.0, 60.0, rand=lambda: 0.999999)  # as the watchers build it, from float settings
    drawn = Backoff(1.0, 60.0)

    top = [highest.next_delay() for _ in range(5000)]
    delays = [drawn.next_delay() for _ in range(5000)]

    assert all(0 <= d <= 60 for d in top + delays)
    assert highest.failures == drawn.failures == 5000
    assert top[-1] > 59.99 and all(30 <= d <= 60 for d in delays[10:])  # at the cap, jittered in its upper half


def test_the_outbox_delay_doubles_from_the_first_up_to_the_longest_and_stays_there():
    delays = [capped_delay(n, 30.0, 3600.0) for n in range(1, 5001)]

    assert delays[:9] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert set(delays[8:]) == {3600}
    assert capped_delay(0, 30, 3600) == 30  # before any failure: the first delay
