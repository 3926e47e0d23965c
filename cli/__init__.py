from . import mail_catcher_watch
