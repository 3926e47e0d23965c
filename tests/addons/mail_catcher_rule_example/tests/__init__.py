from . import test_held_for_review
