{
    "name": "Mail Catcher",
    "summary": "Route customers' replies to a generic mailbox back into each document's chatter",
    "version": "18.0.1.0.0",
    "category": "Productivity/Discuss",
    "author": "mail_catcher developers",
    "license": "LGPL-3",
    "depends": ["mail"],
    "data": [
        "data/ir_cron_data.xml",
        "views/fetchmail_server_views.xml",
        "views/res_company_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_users_views.xml",
        "views/mail_catcher_menus.xml",
    ],
    "installable": True,
    "application": False,
}
