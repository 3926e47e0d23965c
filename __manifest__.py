{
    "name": "Mail Catcher",
    "summary": "Route customers' replies to a generic mailbox back into each document's chatter",
    "version": "18.0.1.0.0",
    "category": "Productivity/Discuss",
    "author": "mail_catcher developers",
    "license": "LGPL-3",
    "depends": ["mail"],
    "external_dependencies": {
        "python": [
            "flufl_bounce",
            "authres",
            "mail_parser_reply",
            "tnefparse",
            "compressed_rtf",
            "striprtf",
        ]
    },
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "wizards/mail_catcher_assign_views.xml",
        "wizards/mail_catcher_setup_views.xml",
        "views/mail_catcher_message_views.xml",
        "views/fetchmail_server_views.xml",
        "views/mail_catcher_health_views.xml",
        "views/res_company_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_users_views.xml",
        "views/mail_template_views.xml",
        "views/mail_catcher_menus.xml",
    ],
    "assets": {
        "web.assets_backend": ["mail_catcher/static/src/**/*"],
        "web.assets_tests": ["mail_catcher/static/tests/tours/**/*"],
    },
}
