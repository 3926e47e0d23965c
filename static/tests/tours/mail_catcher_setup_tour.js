import { registry } from "@web/core/registry";

/**
 * The guided setup from the settings page, against the bench's servers, up to a
 * successful round trip. The bench's ports come in the tour's URL; no translated text
 * in the selectors.
 */
function benchValue(name) {
    return new URL(window.location.href).searchParams.get(name);
}

registry.category("web_tour.tours").add("mail_catcher_setup_tour", {
    steps: () => {
        const bench = {
            password: benchValue("bench_password"),
            imap: benchValue("bench_imap"),
            smtp: benchValue("bench_smtp"),
        };
        return [
        {
            content: "Open the guided setup",
            trigger: "button.o_mail_catcher_setup",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='email'] input",
            run: "edit mailcatcher@company.test",
        },
        {
            trigger: ".modal .o_field_widget[name='password'] input",
            run: `edit ${bench.password}`,
        },
        {
            trigger: ".modal .o_field_widget[name='incoming_host'] input",
            run: "edit 127.0.0.1",
        },
        {
            content: "An empty port shows empty, with a placeholder, not 0",
            trigger: ".modal .o_field_widget[name='smtp_port'] input[placeholder]",
            run() {
                if (this.anchor.value !== "") {
                    throw new Error(`the empty port shows "${this.anchor.value}"`);
                }
            },
        },
        {
            trigger: ".modal .o_field_widget[name='incoming_port'] input",
            run: `edit ${bench.imap}`,
        },
        {
            content: "The bench speaks IMAP in clear text",
            trigger: ".modal .o_field_widget[name='incoming_ssl'] input:checked",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='smtp_host'] input",
            run: "edit 127.0.0.1",
        },
        {
            trigger: ".modal .o_field_widget[name='smtp_port'] input",
            run: `edit ${bench.smtp}`,
        },
        {
            trigger: ".modal .o_field_widget[name='smtp_security'] select",
            run: 'select "none"',
        },
        {
            content: "Test and apply",
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "The catcher is set up",
            trigger: ".modal .o_field_widget[name='report']:contains(mailcatcher@company.test)",
        },
        {
            content: "Round trip",
            trigger: ".modal button[name='action_round_trip']",
            run: "click",
        },
        {
            content: "The round trip succeeded",
            trigger: ".modal .o_field_widget[name='round_trip_seconds']",
            timeout: 60000,
        },
    ];
    },
});
