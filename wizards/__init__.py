from . import mail_catcher_assign
from . import mail_catcher_setup
from . import mail_catcher_setup_round_trip
from . import mail_catcher_setup_sender
from . import mail_template_preview
