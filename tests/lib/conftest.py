"""The tests of lib/, run by pytest without Odoo (pyproject.toml puts the repository root
on the path, so `import lib.mime` imports lib/ alone)."""

import sys
from pathlib import Path

# The mails and headers these tests share with the Odoo tests are plain modules of tests/,
# a package whose __init__ imports Odoo: import them as top-level modules instead. Appended,
# so that `lib` stays the repository's lib/.
sys.path.append(str(Path(__file__).parents[1]))
