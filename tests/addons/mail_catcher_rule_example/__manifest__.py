{
    "name": "Mail Catcher: an example routing rule",
    "summary": "Test addon: adds a routing rule to mail_catcher the way any addon would.",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "mail_catcher developers",
    "license": "LGPL-3",
    "depends": ["mail_catcher"],
}
