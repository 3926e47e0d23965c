import { registry } from "@web/core/registry";

/**
 * The journal as an admin uses it: retry a failed mail, assign a quarantined one.
 * Data from tests/test_tours.py; selectors avoid translated texts, so that the same
 * tour runs in English and in French.
 */
registry.category("web_tour.tours").add("mail_catcher_journal_tour", {
    steps: () => [
        {
            content: "Open the failed mail",
            trigger: ".o_data_row:contains(Tour failed reply) td[name='subject']",
            run: "click",
        },
        {
            content: "Retry it",
            trigger: "button[name='action_retry']",
            run: "click",
        },
        {
            content: "It is routed",
            trigger: ".o_statusbar_status button[data-value='routed'].o_arrow_button_current",
        },
        {
            content: "Back to the journal",
            trigger: ".o_breadcrumb .o_back_button a, .breadcrumb-item:not(.active) a",
            run: "click",
        },
        {
            content: "Open the quarantined mail",
            trigger: ".o_data_row:contains(Tour lost reply) td[name='subject']",
            run: "click",
        },
        {
            content: "Assign it to a document",
            trigger: "button.o_mail_catcher_assign",
            run: "click",
        },
        {
            content: "Choose the document's type",
            trigger: ".modal .o_field_reference select",
            run: "select res.partner",
        },
        {
            content: "Choose the document",
            trigger: ".modal .o_field_reference .o-autocomplete input",
            run: "edit Tour Document",
        },
        {
            trigger: ".ui-autocomplete .dropdown-item:contains(Tour Document)",
            run: "click",
        },
        {
            content: "Assign",
            trigger: ".modal button[name='action_assign']",
            run: "click",
        },
        {
            content: "It is routed, by hand",
            trigger: ".o_statusbar_status button[data-value='routed'].o_arrow_button_current",
        },
    ],
});
