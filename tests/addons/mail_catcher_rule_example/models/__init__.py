from . import mail_catcher_message
