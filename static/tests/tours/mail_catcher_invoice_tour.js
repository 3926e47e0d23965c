import { registry } from "@web/core/registry";

/**
 * The seed's story in the web client: send an invoice by email, fetch the customer's
 * reply, see it in the chatter, open the invoice from the inbox next to one's name.
 * Data from tests/test_tours.py; no translated text in the selectors.
 */
registry.category("web_tour.tours").add("mail_catcher_invoice_tour", {
    steps: () => [
        {
            content: "Send the invoice",
            trigger: ".o_form_view button[name='action_invoice_sent']",
            run: "click",
        },
        {
            trigger: ".modal button[name='action_send_and_print']",
            run: "click",
        },
        {
            content: "The mail sent shows in the chatter",
            trigger: ".o-mail-Message .o-mail-Message-body:contains(Tour Customer)",
        },
        {
            content: "Go to the incoming servers' health board",
            trigger: "body",
            run() {
                window.location.href = "/odoo/action-mail_catcher.fetchmail_server_action_health";
            },
        },
        {
            content: "Fetch the catcher's mailbox now",
            trigger: ".o_kanban_record:contains(Tour Catcher) button[name='fetch_mail']",
            run: "click",
        },
        {
            content: "Fetched: back to the home screen",
            trigger: ".o_kanban_record:contains(Tour Catcher) td:contains(1)",
            run() {
                window.location.href = "/odoo";
            },
        },
        {
            content: "Open the inbox next to one's name",
            trigger: ".o_menu_systray i.fa-comments",
            run: "click",
        },
        {
            content: "The reply waits there, naming the invoice",
            trigger: ".o-mail-NotificationItem:contains(Tour reply)",
            run: "click",
        },
        {
            content: "The invoice opens; its chatter is below",
            trigger: ".o_form_view .o-mail-Chatter",
            run() {
                this.anchor.scrollIntoView();
            },
        },
        // The customer's reply is an email, whose body Odoo draws in a shadow root, out of
        // reach of selectors: its author stands for it.
        {
            content: "The invoice opens with the whole exchange: the customer's reply...",
            trigger: ".o-mail-Chatter .o-mail-Message .o-mail-Message-author:contains(Tour Customer)",
        },
        {
            content: "... and the invoice's mail",
            trigger: ".o-mail-Chatter .o-mail-Message-body:contains(Tour Customer)",
        },
    ],
});
