"""The search index finds exactly the texts a plain `word in text` finds: common words, rare
words, numbers, pieces of words, several words, ids it does not know."""

from __future__ import annotations

import random

import pytest

from store.views.search_index import SearchIndex

WORDS = ["coordination", "des", "acteurs", "du", "bassin", "cpts", "l'offre", "soins", "e3", "n°"]


def _texts(count: int) -> dict[int, str]:
    """Texts mixing words most texts hold, a number of their own and a few rare words."""
    pick = random.Random(16)
    texts = {}
    for n in range(count):
        words = pick.sample(WORDS, pick.randint(2, 6)) + [f"n°{n}", f"ben {n:06d}"]
        if n % 97 == 0:
            words.append("quokka")
        texts[1000 + 3 * n] = " ".join(words)
    return texts


@pytest.mark.parametrize("count", [0, 1, 50, 3000])
def test_the_index_finds_what_a_scan_of_the_texts_finds(count: int) -> None:
    texts = _texts(count)
    index = SearchIndex.build(texts.items())
    assert count < 1000 or index.common  # the big one has common words and other words
    for word in ["c", "co", "ordin", "coordination", "d", "e3", "n°1", "n°12", "1", "000", "0001",
                 "quok", "quokka", "'", "zzz", "s", "ben"]:  # fmt: skip
        expected = [record for record, text in texts.items() if word in text]
        found = index.found(word)
        positions = index.among(list(texts))
        assert [r for r, p in zip(index.ids, positions, strict=True) if found[p]] == expected, word


def test_several_words_and_unknown_ids() -> None:
    texts = _texts(3000)
    index = SearchIndex.build(texts.items())
    both = index.both(index.found("quokka"), index.found("bassin"))
    expected = {record for record, text in texts.items() if "quokka" in text and "bassin" in text}
    assert {index.ids[p] for p in range(len(index)) if both[p]} == expected
    unknown = index.among([5])  # an action written since the index was built: not found
    assert both[unknown[0]] == 0
    counted = (int.from_bytes(both, "little") & index.flags(index.among(sorted(expected)[:3]))).bit_count()
    assert counted == min(3, len(expected))


def test_a_word_typed_key_by_key_finds_what_it_finds_typed_at_once() -> None:
    """Each key reads only the lines the previous keys' word was found in: same answer."""
    texts = _texts(3000)
    index = SearchIndex.build(texts.items())
    for word in ["coordination", "n°1999", "quokka", "000123", "zzz", "e3"]:
        previous = None
        for end in range(1, len(word) + 1):
            typed = word[:end]
            hits = index.hits(typed, previous)
            expected = {record for record, text in texts.items() if typed in text}
            assert {index.ids[p] for p in range(len(index)) if hits.found[p]} == expected, typed
            assert hits.found == index.found(typed), typed
            previous = hits
