from lib.cron_time import cron_budget, cron_time_limit


def test_the_cron_limit_is_odoos_request_limit_unless_set_for_crons():
    assert cron_time_limit(120, -1) == 120
    assert cron_time_limit(120, 300) == 300
    assert cron_time_limit(120, 0) is None
    assert cron_time_limit(0, -1) is None


def test_a_budget_keeps_half_the_limit_free():
    assert cron_budget(240, 120) == 60
    assert cron_budget(30, 120) == 30
    assert cron_budget(240, None) == 240
    assert cron_budget(60, 1) == 1
