from odoo.addons.mail_catcher.routing import STANDARD_RULES
from odoo.addons.mail_catcher.routing.reply_token import signed_token_in_recipients
from odoo.addons.mail_catcher.tests.common import RoutingCase
from odoo.tests import tagged

from ..models.mail_catcher_message import held_for_review


@tagged("post_install", "-at_install")
class TestHeldForReview(RoutingCase):
    """Another addon adds a routing rule with super(), and it runs in its place: after the
    rules before it, before the rules after it."""

    def test_the_rule_is_inserted_in_its_place(self):
        rules = self.Journal._routing_rules()
        place = STANDARD_RULES.index(signed_token_in_recipients)
        self.assertEqual(rules, [*STANDARD_RULES[:place], held_for_review, *STANDARD_RULES[place:]])

    def test_it_decides_before_the_rules_after_it(self):
        # A signed reply token would route this mail to the document (a later rule).
        held = self.receive(To=self.sent.reply_to, X_Example_Hold="yes")
        self.assertRecordValues(held, [{"state": "quarantined", "route": False, "res_id": 0}])
        self.assertEqual(held.reason, "Held for review (X-Example-Hold).")
        routed = self.receive(To=self.sent.reply_to)
        self.assertRecordValues(
            routed, [{"state": "routed", "route": "token", "res_id": self.document.id}]
        )

    def test_the_rules_before_it_decide_first(self):
        # Mail from the catcher's own address is Odoo's own (sent_by_odoo, an earlier rule).
        own = self.receive(
            From="mailcatcher@company.test", To=self.sent.reply_to, X_Example_Hold="yes"
        )
        self.assertRecordValues(own, [{"state": "ignored", "kind": "loop"}])
