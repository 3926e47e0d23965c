import { registry } from "@web/core/registry";

/**
 * A template previewed in Dutch, then sent to oneself as previewed. Data from
 * tests/test_tours.py; no translated text in the selectors.
 */
registry.category("web_tour.tours").add("mail_catcher_template_tour", {
    steps: () => [
        {
            content: "Show every template, not only the base ones",
            trigger: ".o_searchview_facet .o_facet_remove",
            run: "click",
        },
        {
            content: "The catalogue says what the template lacks",
            trigger: ".o_data_row:contains(Tour Template) td[name='mail_catcher_missing_langs']",
            run: "click",
        },
        {
            content: "Preview it",
            trigger: ".o_form_view button[name$='mail_template_preview_action'], .o_form_view .o_statusbar_buttons button:first",
            run: "click",
        },
        {
            content: "In Dutch",
            trigger: ".modal .o_field_widget[name='lang'] select",
            run: "select \"nl_NL\"",
        },
        {
            content: "The Dutch subject shows",
            trigger: ".modal .o_field_widget[name='subject']:contains(Welkom)",
        },
        {
            content: "Send it to me",
            trigger: ".modal button[name='action_mail_catcher_send_test']",
            run: "click",
        },
        {
            content: "Odoo says it was sent",
            trigger: ".o_notification_manager .o_notification",
        },
    ],
});
