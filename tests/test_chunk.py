import json
from unittest.mock import patch

from odoo.tests import new_test_user, tagged

from .common import JournalCase


@tagged("post_install", "-at_install")
class TestChunk(JournalCase):
    """Mails routed together in one chunk share its look-ups, and end as each would alone."""

    def test_each_mail_of_a_chunk_gets_its_own_author(self):
        entries = self.receive_batch(
            self.reply("From the customer"),
            self.reply("From a stranger", From="Newcomer <newcomer@customer.test>"),
            self.reply("From Alice", From="Alice <alice@company.test>"),
            self.reply("From the customer again"),
        )
        self.assertEqual(
            [entry.mail_message_id.author_id for entry in entries],
            [self.customer, self.env["res.partner"], self.alice.partner_id, self.customer],
        )
        self.assertIn("<newcomer@customer.test>", entries[1].mail_message_id.email_from)

    def test_a_partner_created_during_a_chunk_is_found(self):
        entries = self.Journal._journal(
            self.catcher_server,
            [{"raw": self.reply(From="Late <late@customer.test>")}],
        )
        Thread = self.env["mail.thread"]
        chunk = Thread._mail_catcher_open_chunk(entries[0])
        thread = Thread.with_context(mail_catcher_chunk=chunk.token)
        self.assertFalse(thread._mail_find_partner_from_emails(["late@customer.test"])[0])
        late = self.env["res.partner"].create({"name": "Late", "email": "late@customer.test"})
        self.assertEqual(thread._mail_find_partner_from_emails(["late@customer.test"])[0], late)
        Thread._mail_catcher_close_chunk()

    def test_a_user_archived_during_a_chunk_is_no_longer_found_as_user(self):
        entries = self.Journal._journal(
            self.catcher_server, [{"raw": self.reply(From="Alice <alice@company.test>")}]
        )
        Thread = self.env["mail.thread"]
        thread = Thread.with_context(
            mail_catcher_chunk=Thread._mail_catcher_open_chunk(entries[0]).token
        )
        self.assertEqual(thread._mail_search_on_user(["alice@company.test"]), self.alice.partner_id)
        self.alice.active = False
        self.assertFalse(thread._mail_search_on_user(["alice@company.test"]))
        Thread._mail_catcher_close_chunk()

    def test_each_message_of_a_chunk_reaches_the_inbox_once(self):
        self.alice.notification_type = "inbox"
        self.document.message_subscribe(partner_ids=self.alice.partner_id.ids)
        entries = self.receive_batch(self.reply("First"), self.reply("Second"))
        self.env.cr.flush()  # the bus notifications are stored as the transaction commits
        notifications = self.env["bus.bus"].search(
            [("message", "like", '"type":"mail.message/inbox"')], order="id"
        )
        payloads = [json.loads(bus.message)["payload"] for bus in notifications]
        self.assertEqual(
            [[message["id"] for message in payload["mail.message"]] for payload in payloads],
            [[entries[0].mail_message_id.id], [entries[1].mail_message_id.id]],
        )
        self.assertTrue(all(payload["mail.message"][0]["needaction"] for payload in payloads))

    def test_a_mail_rolled_back_after_posting_sends_no_notification(self):
        self.alice.notification_type = "inbox"
        self.document.message_subscribe(partner_ids=self.alice.partner_id.ids)
        settle = type(self.Journal)._settle

        def settle_or_fail(entry, state, **values):
            if b"Broken" in entry._raw():
                raise RuntimeError("settling failed")
            return settle(entry, state, **values)

        with patch.object(type(self.Journal), "_settle", settle_or_fail):
            entries = self.receive_batch(self.reply("Broken"), self.reply("Fine"))
        self.env.cr.flush()
        notifications = self.env["bus.bus"].search(
            [("message", "like", '"type":"mail.message/inbox"')]
        )
        self.assertEqual([entry.state for entry in entries], ["failed", "routed"])
        self.assertEqual(len(notifications), 1)
        self.assertIn(f'"id":{entries[1].mail_message_id.id},', notifications.message)

    def test_a_reply_resets_the_bounce_counter_however_its_from_is_written(self):
        """Odoo compares the From as written with the normalized address, so that only a
        bare address reset its partner's counter; the catcher resets it for both."""
        self.customer.message_bounce = 3
        self.receive_batch(self.reply("Named", From="Customer <customer@customer.test>"))
        self.assertEqual(self.customer.message_bounce, 0)
        self.customer.message_bounce = 3
        self.receive_batch(self.reply("Bare", From="customer@customer.test"))
        self.assertEqual(self.customer.message_bounce, 0)

    def test_an_alias_created_during_a_chunk_is_no_partner(self):
        """Odoo leaves the addresses of aliases out of its partners: an alias made
        during a chunk is left out for the chunk's next mails."""
        sales = self.env["res.partner"].create({"name": "Sales", "email": "sales@company.test"})
        entries = self.Journal._journal(
            self.catcher_server, [{"raw": self.reply(To="sales@company.test")}]
        )
        Thread = self.env["mail.thread"]
        thread = Thread.with_context(
            mail_catcher_chunk=Thread._mail_catcher_open_chunk(entries[0]).token
        )
        self.assertEqual(thread._mail_find_partner_from_emails(["sales@company.test"]), [sales])
        self.env["mail.alias"].create(
            {
                "alias_name": "sales",
                "alias_domain_id": self.alias_domain.id,
                "alias_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        self.assertFalse(thread._mail_find_partner_from_emails(["sales@company.test"])[0])
        Thread._mail_catcher_close_chunk()

    def test_a_domain_of_aliases_added_during_a_chunk_is_read(self):
        entries = self.Journal._journal(self.catcher_server, [{"raw": self.reply()}])
        Thread = self.env["mail.thread"]
        thread = Thread.with_context(
            mail_catcher_chunk=Thread._mail_catcher_open_chunk(entries[0]).token
        )
        Domains = thread.env["mail.alias.domain"]
        before = Domains.search([])
        self.assertEqual(Domains.search([]), before)
        added = Domains.create({"name": "other.test"})
        self.assertEqual(Domains.search([]), before | added)
        Thread._mail_catcher_close_chunk()

    def test_replies_of_a_chunk_find_their_parents(self):
        entries = self.receive_batch(
            self.reply("One"), self.reply("Two", References=f"<x@y.test> {self.sent.message_id}")
        )
        self.assertEqual([entry.route for entry in entries], ["header", "header"])
        self.assertEqual(
            [entry.mail_message_id.parent_id for entry in entries], [self.sent, self.sent]
        )

    def test_a_message_posted_during_a_chunk_is_found_as_parent(self):
        entries = self.Journal._journal(
            self.catcher_server, [{"raw": self.reply(in_reply_to="<later@company.test>")}]
        )
        Thread = self.env["mail.thread"]
        thread = Thread.with_context(
            mail_catcher_chunk=Thread._mail_catcher_open_chunk(entries[0]).token
        )
        msg_dict = {"in_reply_to": "<later@company.test>", "references": ""}
        self.assertIsNone(thread._get_parent_message(msg_dict))
        later = self.document.message_post(body="Later", message_id="<later@company.test>")
        self.assertEqual(thread._get_parent_message(msg_dict), later)
        Thread._mail_catcher_close_chunk()

    def test_the_users_of_a_chunk_senders_are_found(self):
        entries = self.Journal._journal(
            self.catcher_server,
            [{"raw": self.reply(From="Alice <alice@company.test>")}, {"raw": self.reply()}],
        )
        Thread = self.env["mail.thread"]
        chunk = Thread._mail_catcher_open_chunk(self.Journal.union(*entries))
        thread = Thread.with_context(mail_catcher_chunk=chunk.token)
        find = thread._mail_find_user_for_gateway
        self.assertEqual(find('"Alice" <alice@company.test>'), self.alice)
        self.assertFalse(find('"C" <customer@customer.test>'))
        bob = new_test_user(self.env, login="bob", email="customer@customer.test")
        self.assertEqual(find('"C" <customer@customer.test>'), bob)
        Thread._mail_catcher_close_chunk()

    def test_a_recipient_with_a_push_device_is_pushed(self):
        self.alice.notification_type = "inbox"
        self.document.message_subscribe(partner_ids=self.alice.partner_id.ids)
        self.env["mail.push.device"].sudo().create(
            {
                "partner_id": self.alice.partner_id.id,
                "endpoint": "https://push.test/1",
                "keys": "{}",
            }
        )
        parameters = self.env["ir.config_parameter"].sudo()
        parameters.set_param("mail.web_push_vapid_private_key", "private")
        parameters.set_param("mail.web_push_vapid_public_key", "public")
        with patch("odoo.addons.mail.models.mail_thread.push_to_end_point") as push:
            self.receive_batch(self.reply("Pushed"), self.reply("Pushed too"))
        self.assertEqual(
            [call.kwargs["device"]["endpoint"] for call in push.call_args_list],
            ["https://push.test/1", "https://push.test/1"],
        )

    def test_the_address_of_an_alias_is_no_partner_during_a_chunk(self):
        self.env["res.partner"].create({"name": "Sales", "email": "sales@company.test"})
        self.env["mail.alias"].create(
            {
                "alias_name": "sales",
                "alias_domain_id": self.alias_domain.id,
                "alias_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        entries = self.Journal._journal(
            self.catcher_server, [{"raw": self.reply(Cc="sales@company.test")}]
        )
        Thread = self.env["mail.thread"]
        thread = Thread.with_context(
            mail_catcher_chunk=Thread._mail_catcher_open_chunk(entries[0]).token
        )
        found = thread._mail_find_partner_from_emails(
            ["sales@company.test", "customer@customer.test"], records=self.document
        )
        self.assertEqual(found, [self.env["res.partner"], self.customer])
        Thread._mail_catcher_close_chunk()

    def test_a_failing_inbox_notification_keeps_the_chunk_routed(self):
        self.alice.notification_type = "inbox"
        self.document.message_subscribe(partner_ids=self.alice.partner_id.ids)
        with (
            patch.object(
                type(self.env["mail.message"]), "_to_store", side_effect=RuntimeError("store")
            ),
            self.assertLogs("odoo.addons.mail_catcher.models.mail_thread", "ERROR"),
        ):
            entries = self.receive_batch(self.reply("One"), self.reply("Two"))
        self.assertEqual([entry.state for entry in entries], ["routed", "routed"])
