from unittest import TestCase

from lib.chunk_memo import ChunkMemo, values_searched


class TestChunkMemo(TestCase):
    """One search for a chunk's addresses answers each mail's look-up; no database."""

    def setUp(self):
        super().setUp()
        self.searches = []
        self.memo = ChunkMemo(["b@x.test", "a@x.test", False])

    def search(self, addresses):
        self.searches.append(addresses)
        return [(3, "b@x.test"), (1, "a@x.test"), (2, "b@x.test")]

    def test_one_search_answers_each_address_in_its_order(self):
        self.assertEqual(self.memo.matches("k", ["b@x.test"], self.search), ([3, 2], [3, 1, 2]))
        self.assertEqual(self.memo.matches("k", ["a@x.test"], self.search)[0], [1])
        self.assertEqual(self.memo.matches("k", [], self.search)[0], [])
        self.assertEqual(self.searches, [["a@x.test", "b@x.test"]])

    def test_each_way_of_looking_up_has_its_own_search(self):
        self.memo.matches("users", ["a@x.test"], self.search)
        self.memo.matches("partners", ["a@x.test"], self.search)
        self.assertEqual(len(self.searches), 2)

    def test_only_the_chunk_addresses_are_covered(self):
        self.assertTrue(self.memo.covers(["a@x.test", "b@x.test"]))
        self.assertFalse(self.memo.covers(["a@x.test", "c@x.test"]))

    def test_forgotten_it_covers_nothing(self):
        self.memo.matches("k", ["a@x.test"], self.search)
        self.memo.forget()
        self.assertFalse(self.memo.covers(["a@x.test"]))

    def test_each_chunk_has_its_own_token(self):
        self.assertNotEqual(ChunkMemo([]).token, ChunkMemo([]).token)


def test_only_a_search_by_one_field_alone_is_answered():
    assert values_searched([("message_id", "in", ["<a@x>"])], "message_id") == ["<a@x>"]
    assert values_searched([("message_id", "=", "<a@x>")], "message_id") is None
    assert values_searched([("model", "in", ["res.partner"])], "message_id") is None
    two = [("message_id", "in", ["<a@x>"]), ("model", "=", "res.partner")]
    assert values_searched(two, "message_id") is None
