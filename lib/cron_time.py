"""How long a scheduled action may run before Odoo stops it, from Odoo's own settings."""


def cron_time_limit(limit_time_real, limit_time_real_cron):
    """Seconds a cron job may run before Odoo kills its worker (limit_time_real_cron,
    -1 meaning limit_time_real, Odoo's default of 120 s); None when there is no limit."""
    limit = limit_time_real if limit_time_real_cron in (None, -1) else limit_time_real_cron
    return limit if limit and limit > 0 else None


def cron_budget(wanted, limit):
    """A cron job's time budget: `wanted`, but at most half the limit, so that what the
    job does after its budget (a batch begun, a commit) still ends inside it."""
    return wanted if not limit else max(1, min(wanted, limit // 2))
