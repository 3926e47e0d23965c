from . import mail_catcher_assign
from . import mail_catcher_setup
from . import mail_template_preview
