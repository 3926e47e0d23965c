"""Run inside `odoo-bin shell`, which gives `env`: point a database's mail at the bench.

MAIL_CATCHER_BENCH names the bench.json of running servers. The company gets the alias
domain company.test, an outgoing server for it (so that users' mail leaves from their own
address) and, unless MAIL_CATCHER_NO_CATCHER is set, mailcatcher@company.test as its
confirmed mail catcher. Run again after the bench restarts on other ports.
"""

import json
import os
from pathlib import Path

bench = json.loads(Path(os.environ["MAIL_CATCHER_BENCH"]).read_text())
DOMAIN = "company.test"
CATCHER = f"mailcatcher@{DOMAIN}"

company = env.company
alias_domain = env["mail.alias.domain"].search([("name", "=", DOMAIN)], limit=1)
if not alias_domain:
    alias_domain = env["mail.alias.domain"].create(
        {"name": DOMAIN, "catchall_alias": "mailcatcher"}
    )
company.alias_domain_id = alias_domain
company.email = company.email or f"info@{DOMAIN}"

for server in env["ir.mail_server"].with_context(active_test=False).search([]):
    server.active = False
env["ir.mail_server"].with_context(active_test=False).search([("name", "=", "Bench SMTP")]).unlink()
env["ir.mail_server"].create(
    {
        "name": "Bench SMTP",
        "smtp_host": bench["host"],
        "smtp_port": bench["smtp_port"],
        "smtp_encryption": "none",
        "from_filter": DOMAIN,
    }
)

catcher = (
    env["fetchmail.server"]
    .with_context(active_test=False)
    .search([("user", "=", CATCHER)], limit=1)
)
values = {
    "name": "Mail Catcher",
    "server_type": "imap",
    "server": bench["host"],
    "port": bench["imap_port"],
    "is_ssl": False,
    "user": CATCHER,
    "password": bench["password"],
    "active": True,
}
if catcher:
    catcher.write({**values, "state": "draft"})
else:
    catcher = env["fetchmail.server"].create(values)
catcher.button_confirm_login()

if os.environ.get("MAIL_CATCHER_NO_CATCHER"):
    company.mail_catcher_server_id = False
else:
    company.write({"mail_catcher_server_id": catcher.id, "mail_catcher_email": CATCHER})
env.cr.commit()
