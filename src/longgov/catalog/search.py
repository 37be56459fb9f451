"""In-memory search over service items that understands how citizens phrase what they need.

Ranking combines, per document:

* BM25F over the weighted fields (name > aliases > keywords > department > summary), on
  terms from a private rjieba segmenter that knows the government-services vocabulary;
* colloquial → official expansion from :mod:`longgov.catalog.search_lexicon`, weighted below
  the query's own terms;
* strong boosts when the query names an item or one of its aliases outright;
* character-bigram overlap with names and aliases, which keeps a mistyped query on target;
* pinyin-initial / full-pinyin matching for all-letter queries ("spjyxk").

The index is immutable: rebuild it when the catalogue changes.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final

import rjieba
from pypinyin import lazy_pinyin

from longgov.catalog.search_lexicon import FILLER_PHRASES, STOP_WORDS, SYNONYMS, VOCABULARY

__all__ = ["SearchDocument", "SearchHit", "SearchIndex"]

_FIELD_WEIGHTS: Final[dict[str, float]] = {"name": 3.0, "aliases": 2.0, "keywords": 1.5, "department": 0.5, "summary": 0.3}
_K1: Final = 1.2
_B: Final = 0.75
_EXPANSION_WEIGHT: Final = 0.7
_SINGLE_CHAR_WEIGHT: Final = 0.4
_BIGRAM_WEIGHT: Final = 10.0
_BIGRAM_MIN_DICE: Final = 0.25
_NAME_EQUALS_QUERY: Final = 30.0
_ALIAS_EQUALS_QUERY: Final = 22.0
_NAME_IN_QUERY: Final = 14.0
_ALIAS_IN_QUERY: Final = 10.0
_QUERY_IN_NAME: Final = 12.0
_QUERY_IN_ALIAS: Final = 8.0
_EXPANSION_IN_NAME: Final = 6.0
_PINYIN_EQUALS: Final = 30.0
_PINYIN_PREFIX: Final = 20.0
_PINYIN_INSIDE: Final = 10.0
_PINYIN_MIN_LETTERS: Final = 3
_SCORE_DIGITS: Final = 6
_RELATIVE_FLOOR: Final = 0.08

_ASCII_QUERY = re.compile(r"[a-z]+")
_FILLER = re.compile("|".join(re.escape(p) for p in sorted(FILLER_PHRASES, key=len, reverse=True)))
_VOCABULARY_SET: Final[frozenset[str]] = frozenset(VOCABULARY)
_VOCABULARY_MAX_LEN: Final = max(len(w) for w in VOCABULARY)
_SYNONYM_RULES: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = tuple((tuple(key.split("+")), terms) for key, terms in SYNONYMS.items())


@dataclass(frozen=True)
class SearchDocument:
    """One searchable service item; ``code`` identifies it in hits."""

    code: str
    name: str
    department: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class SearchHit:
    """A matching item and its relevance (higher is better, always > 0)."""

    code: str
    score: float


_segmenter_lock = threading.Lock()
_segmenter: rjieba.Jieba | None = None


def _get_segmenter() -> rjieba.Jieba:
    """The module's own segmenter, so the vocabulary never leaks into rjieba's shared default."""
    global _segmenter  # noqa: PLW0603 — built once, lazily, because loading the dictionary costs ~70 ms
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                seg = rjieba.Jieba()
                words = set(VOCABULARY)
                for key in SYNONYMS:
                    words.update(part for part in key.split("+") if len(part) > 1)
                for word in sorted(words):
                    seg.add_word(word, None, None)
                _segmenter = seg
    return _segmenter


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _normalise(text: str) -> str:
    """Width-folded, lower-cased text with anything but letters, digits and CJK turned into spaces."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join("".join(ch if (ch.isalnum() or _is_cjk(ch)) else " " for ch in folded).split())


def _terms(normalised: str) -> list[str]:
    """Index terms of normalised text: search-mode segments plus any vocabulary word inside it."""
    seg = _get_segmenter()
    out: list[str] = []
    for chunk in normalised.split():
        out.extend(t for t in seg.cut_for_search(chunk) if t.strip() and t not in STOP_WORDS)
        # cut_for_search only splits out 2- and 3-character sub-words, so longer domain words
        # nested inside a name (食品经营 in 食品经营许可证) would otherwise be missed.
        n = len(chunk)
        for i in range(n):
            for j in range(i + 4, min(n, i + _VOCABULARY_MAX_LEN) + 1):
                word = chunk[i:j]
                if word in _VOCABULARY_SET and word != chunk:
                    out.append(word)
    return out


def _bigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


@cache
def _char_pinyin(ch: str) -> str:
    return lazy_pinyin(ch)[0].lower() if _is_cjk(ch) else ch


def _pinyin_forms(text: str) -> tuple[str, str]:
    """(initials, full pinyin) of normalised text, letters only; digits and Latin kept as-is."""
    syllables = [_char_pinyin(ch) for ch in text if not ch.isspace()]
    return "".join(s[:1] for s in syllables), "".join(syllables)


def _strip_filler(normalised: str) -> str:
    return " ".join(_FILLER.sub(" ", normalised).split())


def _matched_rules(normalised: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Lexicon rules the query triggers, minus those a more specific matching rule subsumes."""
    matched = [(parts, terms) for parts, terms in _SYNONYM_RULES if all(p in normalised for p in parts)]
    # 新生儿+落户 means 出生登记, so the bare 落户 → 户口迁移 reading must not compete with it;
    # likewise 社保卡 over 社保 and 失业了 over 失业.
    return [
        (parts, terms)
        for parts, terms in matched
        if not any(other != parts and sum(map(len, other)) > sum(map(len, parts)) and all(any(p in q for q in other) for p in parts) for other, _ in matched)
    ]


def _query_weights(text: str) -> dict[str, float]:
    """The citizen's own terms, single characters counting less."""
    weights: dict[str, float] = {}
    for term in _terms(text):
        weight = _SINGLE_CHAR_WEIGHT if len(term) == 1 and _is_cjk(term) else 1.0
        weights[term] = max(weights.get(term, 0.0), weight)
    return weights


@dataclass(frozen=True)
class _Surface:
    """A name or alias as written, for substring, bigram and pinyin matching."""

    doc: int
    text: str
    is_name: bool
    bigrams: frozenset[str]
    initials: str
    pinyin: str


def _surface_boost(s: _Surface, compact: str, core: str, expansions: list[str]) -> float:
    """How strongly the query (or an expansion of it) names this name or alias outright."""
    boost = 0.0
    if s.text in (core, compact):
        boost = _NAME_EQUALS_QUERY if s.is_name else _ALIAS_EQUALS_QUERY
    elif len(s.text) > 1 and s.text in compact:
        boost = _NAME_IN_QUERY if s.is_name else _ALIAS_IN_QUERY
    elif len(core) > 1 and core in s.text:
        boost = (_QUERY_IN_NAME if s.is_name else _QUERY_IN_ALIAS) * len(core) / len(s.text)
    if s.is_name:
        boost += sum(_EXPANSION_IN_NAME * len(e) / len(s.text) for e in expansions if e in s.text)
    return boost


def _saturate(tf: float) -> float:
    return tf * (_K1 + 1.0) / (tf + _K1)


def _field_terms(ordered: list[SearchDocument]) -> dict[str, list[list[str]]]:
    """Per field, each document's terms in document order."""
    fields: dict[str, list[list[str]]] = {f: [] for f in _FIELD_WEIGHTS}
    for d in ordered:
        fields["name"].append(_terms(_normalise(d.name)))
        fields["aliases"].append([t for a in d.aliases for t in _terms(_normalise(a))])
        fields["keywords"].append([t for k in d.keywords for t in _terms(_normalise(k))])
        fields["department"].append(_terms(_normalise(d.department)))
        fields["summary"].append(_terms(_normalise(d.summary)))
    return fields


def _weighted_postings(ordered: list[SearchDocument]) -> tuple[dict[str, list[tuple[int, float]]], dict[str, float]]:
    """BM25F postings (term → [(doc, saturated weighted frequency)]) and each term's IDF."""
    # Per-field length-normalised frequencies are weighted, summed, then saturated once, so a
    # term repeated across fields cannot outscore two different terms.
    combined: dict[str, dict[int, float]] = {}
    for field, per_doc in _field_terms(ordered).items():
        total = sum(len(ts) for ts in per_doc)
        if total == 0:
            continue
        avg = total / len(per_doc)
        weight = _FIELD_WEIGHTS[field]
        for doc, ts in enumerate(per_doc):
            norm = 1.0 - _B + _B * len(ts) / avg
            for t, c in Counter(ts).items():
                slot = combined.setdefault(t, {})
                slot[doc] = slot.get(doc, 0.0) + weight * c / norm
    n_docs = len(ordered)
    postings = {t: [(doc, _saturate(tf)) for doc, tf in sorted(per.items())] for t, per in combined.items()}
    idf = {t: math.log(1.0 + (n_docs - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}
    return postings, idf


def _surfaces(ordered: list[SearchDocument]) -> tuple[tuple[_Surface, ...], dict[str, list[int]]]:
    """Every distinct name and alias, and a bigram → surface-position postings list over them."""
    surfaces: list[_Surface] = []
    bigram_postings: dict[str, list[int]] = {}
    for doc, d in enumerate(ordered):
        seen: set[str] = set()
        for raw, is_name in [(d.name, True), *((a, False) for a in d.aliases)]:
            text = "".join(_normalise(raw).split())
            if not text or text in seen:
                continue
            seen.add(text)
            grams = frozenset(_bigrams(text))
            initials, full = _pinyin_forms(text)
            for g in grams:
                bigram_postings.setdefault(g, []).append(len(surfaces))
            surfaces.append(_Surface(doc, text, is_name, grams, initials, full))
    return tuple(surfaces), bigram_postings


class SearchIndex:
    """Immutable index over :class:`SearchDocument`; build with :meth:`build`, query with :meth:`search`."""

    def __init__(
        self,
        codes: tuple[str, ...],
        postings: dict[str, list[tuple[int, float]]],
        idf: dict[str, float],
        surfaces: tuple[_Surface, ...],
        bigram_postings: dict[str, list[int]],
    ) -> None:
        self._codes = codes
        self._postings = postings
        self._idf = idf
        self._surfaces = surfaces
        self._bigram_postings = bigram_postings

    @classmethod
    def build(cls, docs: Iterable[SearchDocument]) -> SearchIndex:
        """Index ``docs``; codes must be unique (``ValueError`` otherwise)."""
        ordered = sorted(docs, key=lambda d: d.code)
        codes = tuple(d.code for d in ordered)
        if len(set(codes)) != len(codes):
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            raise ValueError(f"检索文档编码重复：{', '.join(dupes)}")
        postings, idf = _weighted_postings(ordered)
        surfaces, bigram_postings = _surfaces(ordered)
        return cls(codes, postings, idf, surfaces, bigram_postings)

    def __len__(self) -> int:
        return len(self._codes)

    def search(self, query: str, *, limit: int = 10) -> list[SearchHit]:
        """Best matches for ``query``, best first, ties broken by code; only scores above zero."""
        if limit <= 0:
            return []
        normalised = _normalise(query)
        if not normalised:
            return []
        scores = self._scores(normalised)
        if not scores:
            return []
        # Hits far below the best are incidental overlaps on generic words (登记, 申领) and
        # only bury the answer under noise.
        floor = max(max(scores.values()) * _RELATIVE_FLOOR, 10.0**-_SCORE_DIGITS)
        ranked = sorted(
            ((round(s, _SCORE_DIGITS), doc) for doc, s in scores.items() if round(s, _SCORE_DIGITS) >= floor),
            key=lambda pair: (-pair[0], self._codes[pair[1]]),
        )
        return [SearchHit(self._codes[doc], score) for score, doc in ranked[:limit]]

    def _scores(self, normalised: str) -> dict[int, float]:
        """Raw relevance per document position, for every document the query touches."""
        core = "".join(_strip_filler(normalised).split())
        scores: dict[int, float] = {}
        for term, weight in _query_weights(core or normalised).items():
            for doc, value in self._term_scores(term):
                scores[doc] = scores.get(doc, 0.0) + weight * value
        expansions = list(dict.fromkeys(t for _, terms in _matched_rules(normalised) for t in terms))
        for expansion in expansions:
            # An expansion counts once, by its most specific matching term, so that a phrase the
            # lexicon supplies can never outweigh the words the citizen actually typed.
            best: dict[int, float] = {}
            for term in _terms(expansion):
                for doc, value in self._term_scores(term):
                    best[doc] = max(best.get(doc, 0.0), value)
            for doc, value in best.items():
                scores[doc] = scores.get(doc, 0.0) + _EXPANSION_WEIGHT * value
        self._add_surface_scores(scores, normalised, core, expansions)
        compact = "".join(normalised.split())
        if _ASCII_QUERY.fullmatch(compact) and len(compact) >= _PINYIN_MIN_LETTERS:
            self._add_pinyin_scores(scores, compact)
        return scores

    def _term_scores(self, term: str) -> list[tuple[int, float]]:
        """(doc, BM25F contribution) for every document containing ``term``."""
        idf = self._idf.get(term)
        if idf is None:
            return []
        return [(doc, idf * sat) for doc, sat in self._postings[term]]

    def _add_surface_scores(self, scores: dict[int, float], normalised: str, core: str, expansions: list[str]) -> None:
        """Boosts for names and aliases the query states or a lexicon rule names, plus bigram overlap."""
        compact = "".join(normalised.split())
        best: dict[int, float] = {}
        for s in self._surfaces:
            boost = _surface_boost(s, compact, core, expansions)
            if boost > best.get(s.doc, 0.0):
                best[s.doc] = boost
        for doc, dice in self._bigram_overlap(core).items():
            best[doc] = best.get(doc, 0.0) + _BIGRAM_WEIGHT * dice
        for doc, boost in sorted(best.items()):
            scores[doc] = scores.get(doc, 0.0) + boost

    def _bigram_overlap(self, core: str) -> dict[int, float]:
        """Best Dice overlap of the query's CJK bigrams with each document's name or aliases."""
        query_grams = _bigrams("".join(ch for ch in core if _is_cjk(ch)))
        if not query_grams:
            return {}
        shared: dict[int, int] = {}
        for g in sorted(query_grams):
            for position in self._bigram_postings.get(g, ()):
                shared[position] = shared.get(position, 0) + 1
        best: dict[int, float] = {}
        for position, count in sorted(shared.items()):
            surface = self._surfaces[position]
            dice = 2.0 * count / (len(query_grams) + len(surface.bigrams))
            if dice >= _BIGRAM_MIN_DICE and dice > best.get(surface.doc, 0.0):
                best[surface.doc] = dice
        return best

    def _add_pinyin_scores(self, scores: dict[int, float], letters: str) -> None:
        """Match an all-letter query against names' and aliases' pinyin initials or full pinyin."""
        best: dict[int, float] = {}
        for s in self._surfaces:
            boost = 0.0
            for form in (s.initials, s.pinyin):
                if not form:
                    continue
                if form == letters:
                    boost = max(boost, _PINYIN_EQUALS)
                elif form.startswith(letters):
                    boost = max(boost, _PINYIN_PREFIX * len(letters) / len(form))
                elif letters in form:
                    boost = max(boost, _PINYIN_INSIDE * len(letters) / len(form))
            if not s.is_name:
                boost *= 0.8
            if boost > best.get(s.doc, 0.0):
                best[s.doc] = boost
        for doc, boost in sorted(best.items()):
            scores[doc] = scores.get(doc, 0.0) + boost
