from . import mail_catcher_assign
