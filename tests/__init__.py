from . import test_connection_errors
from . import test_fetch
from . import test_journal
from . import test_lib
from . import test_lib_routing
from . import test_reply_to
from . import test_routing
from . import test_settings
