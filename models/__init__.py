from . import base
from . import mail_catcher_message
from . import fetchmail_server
from . import mail_mail
from . import mail_thread
from . import res_company
from . import res_config_settings
from . import res_users
