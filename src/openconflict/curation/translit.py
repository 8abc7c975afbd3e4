"""Folding Arabic place names written in Latin letters, so that spellings of one name compare equal.

Why: a report writes "Tel Jabin", UCDP writes "Tall Jibbin", a French wire writes "Tell Jebbine". Fuzzy
scores on the raw strings rank such pairs below unrelated names of similar length, so both sides are first
brought to two comparable forms:

- :func:`fold`: diacritics, apostrophes (ayn, hamza) and hyphens removed, lower case, the article
  (al-, el-, ad-, ar-, as-, ash-, az- ...) dropped, Tel/Tell/Tal/Tall written one way, and a trailing
  feature type ("village", "town" in UCDP's names) removed. Scored with rapidfuzz's weighted ratio.
- :func:`skeleton`: the folded words reduced to their consonants (a word's first vowel kept as ``a``),
  doubled letters collapsed and common transliteration variants unified (ou/u, ee/i, q/k, dj/j, ch/sh,
  a final ``h`` after a vowel). "tall jibbin" and "tel jabin" both become "tl jbn".

Standard library only; the scoring itself is rapidfuzz's (see :mod:`.places`).
"""

from __future__ import annotations

import re
import unicodedata

#: Articles that prefix Arabic names, in the spellings transliterations use (sun letters assimilated).
ARTICLES = frozenset({"al", "el", "il", "ul", "ad", "ed", "adh", "ar", "er", "as", "es", "ash", "esh", "at",
                      "et", "ath", "az", "ez", "an", "en", "aj", "ag"})
#: Words that name a kind of place rather than the place, as UCDP appends them (with its typos).
FEATURES = frozenset({"village", "villge", "villae", "town", "city", "suburb", "area", "locality",
                      "district", "governorate", "province", "neighbourhood", "neighborhood", "quarter"})
TELL = frozenset({"tel", "tell", "tal", "tall"})
_APOSTROPHES = "'’‘`´ʿʾʼʻ"
_SEPARATORS = re.compile(r"[-_/,.;:()\[\]\"]+")
_DIGRAPHS = (("ou", "u"), ("oo", "u"), ("ee", "i"), ("dj", "j"), ("tch", "sh"), ("ch", "sh"), ("ck", "k"),
             ("ph", "f"), ("q", "k"))
VOWELS = frozenset("aeiou")


def strip_accents(text: str) -> str:
    """Letters without diacritics (NFKD, combining marks dropped); dotless i becomes i."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` with diacritics and apostrophes removed and separators split."""
    text = strip_accents(text).casefold()
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    return _SEPARATORS.sub(" ", text).split()


def fold(text: str) -> str:
    """The comparable spelling of a place name (see the module docstring)."""
    tokens = words(text)
    while len(tokens) > 1 and tokens[-1] in FEATURES:
        tokens.pop()
    kept = [t for t in tokens if t not in ARTICLES] or tokens
    return " ".join("tall" if t in TELL else t for t in kept)


def _skeleton_word(word: str) -> str:
    for old, new in _DIGRAPHS:
        word = word.replace(old, new)
    if len(word) > 3 and word.endswith("h") and word[-2] in VOWELS:
        word = word[:-1]  # ta marbuta: Hamah / Hama, Raqqah / Raqqa
    out: list[str] = []
    for i, ch in enumerate(word):
        if i == 0:
            out.append("a" if ch in VOWELS else ch)
            continue
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if ch in VOWELS or (ch in "wy" and nxt not in VOWELS):
            continue  # short vowels vary freely; w/y before a consonant are diphthongs (Dayr / Deir)
        if out and out[-1] == ch:
            continue  # doubled consonants (shadda) are written or not
        out.append(ch)
    return "".join(out)


def skeleton(text: str) -> str:
    """The consonant skeleton of the folded name: 'Tel Jabin' and 'Tall Jibbin' both give 'tl jbn'."""
    return " ".join(_skeleton_word(w) for w in fold(text).split())


def coverage(query: str, candidate: str) -> float:
    """How well every word of ``query`` is matched by some word of ``candidate`` (0-100, mean over words).

    Why: rapidfuzz's weighted ratio rewards one shared word ("Brigade", "Tall") however much of the query
    stays unmatched; a candidate's fuzzy score is capped by this coverage so a query's other words count.
    """
    from rapidfuzz import fuzz, process

    q_words, c_words = query.split(), candidate.split()
    if not q_words or not c_words:
        return 0.0
    return sum(process.extractOne(w, c_words, scorer=fuzz.ratio)[1] for w in q_words) / len(q_words)
