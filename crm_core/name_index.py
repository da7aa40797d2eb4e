"""Fuzzy search over a workspace's customer names, kept in memory between requests.

Reading 100,000 names for every lookup would cost more than the lookup itself, so each
process keeps the names of recently used workspaces and reloads them only when a cheap
aggregate (count, newest id, newest change) says they changed, in this process or another.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from crm_core.errors import Suggestion
from crm_core.models import Customer
from crm_core.names import normalize_name

_WORKSPACES_KEPT = 64


@dataclass(frozen=True)
class _Shape:
    """The names with the same number of words: their positions in the index, and for each
    word place the vocabulary positions of that word of every such name."""

    positions: np.ndarray
    columns: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class NameIndex:
    """One workspace's customer ids, names and normalized names, as of `stamp`.

    For scoring every name at once the names are also kept as words: `vocabulary` holds each
    distinct word once, sorted, and `shapes` the names grouped by their number of words, as
    vocabulary positions (a name with no words has the one empty word).
    """

    stamp: object
    ids: list[int]
    names: list[str]
    normalized: list[str]
    vocabulary: list[str] = field(init=False, repr=False)
    shapes: tuple[_Shape, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        split = [name.split() or [""] for name in self.normalized]
        vocabulary = sorted({word for words in split for word in words})
        where = {word: i for i, word in enumerate(vocabulary)}
        flat = np.array([where[word] for words in split for word in words], dtype=np.int32)
        counts = np.array([len(words) for words in split], dtype=np.int64)
        offsets = np.cumsum(counts) - counts
        shapes = []
        for count in np.unique(counts).tolist():
            positions = np.flatnonzero(counts == count)
            first_words = offsets[positions]
            columns = tuple(flat[first_words + j] for j in range(count))
            shapes.append(_Shape(positions=positions, columns=columns))
        object.__setattr__(self, "vocabulary", vocabulary)
        object.__setattr__(self, "shapes", tuple(shapes))


# Asked before every fuzzy lookup; built once (see crm_core.customers).
_NEWEST_CHANGE = select(func.max(Customer.updated_at)).where(
    Customer.team_id == bindparam("team_id")
)
_cache: OrderedDict[tuple[str, str], NameIndex] = OrderedDict()
_lock = threading.Lock()
_loading: defaultdict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)


def name_index(session: Session, *, team_id: str) -> NameIndex:
    """The workspace's names, from memory when nothing changed since they were read.

    Every insert and update of a customer sets updated_at (merges too), so the newest
    updated_at, read from its index, says whether anything changed.
    """
    stamp = session.exec(_NEWEST_CHANGE, params={"team_id": team_id}).one()
    key = (session.get_bind().url.render_as_string(hide_password=True), team_id)
    cached = _current(key, stamp)
    if cached is not None:
        return cached
    # One thread loads a workspace's names; the others asking at the same time wait for it.
    with _lock:
        loading = _loading[key]
    with loading:
        cached = _current(key, stamp)
        if cached is not None:
            return cached
        rows = session.exec(
            select(Customer.id, Customer.name, Customer.normalized_name)
            .where(Customer.team_id == team_id)
            .order_by(Customer.id)
        ).all()
        index = NameIndex(
            stamp=stamp,
            ids=[row[0] for row in rows],
            names=[row[1] for row in rows],
            normalized=[row[2] for row in rows],
        )
        with _lock:
            _cache[key] = index
            _cache.move_to_end(key)
            while len(_cache) > _WORKSPACES_KEPT:
                _cache.popitem(last=False)
    return index


def warm_up(session: Session, *, limit: int = _WORKSPACES_KEPT) -> int:
    """Load the names of the workspaces with customers (up to `limit`) before any request
    needs them, so the first lookups of a new process do not each wait for a load."""
    teams = session.exec(select(Customer.team_id).distinct().limit(limit)).all()
    for team_id in teams:
        name_index(session, team_id=team_id)
    return len(teams)


def _current(key: tuple[str, str], stamp: object) -> NameIndex | None:
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.stamp == stamp:
            _cache.move_to_end(key)
            return cached
    return None


def similarities(index: NameIndex, wanted: str) -> np.ndarray:
    """How well the normalized query `wanted` names each customer of the index, 0-100.

    Three quarters: how well each word typed matches some word of the name (a typed word
    that starts a name's word counts in full, so "acme ro" fits "acme rockets"); one
    quarter: how much of the name was typed (each name word's best ratio against the words
    typed). "simpson rowe" thus prefers "simpson rowe and odom" to "simpson", which plain
    partial-ratio scorers rate the same.

    The words typed are compared with each distinct word of the workspace once (rapidfuzz's
    cdist, in C); numpy then gathers each name's scores from its words, so every one of
    100,000 names is scored in a few milliseconds.
    """
    scores = np.zeros(len(index.ids))
    typed = wanted.split()
    if not typed or not index.ids:
        return scores
    ratios = process.cdist(typed, index.vocabulary, scorer=fuzz.ratio, dtype=np.float64)
    covering = ratios.copy()
    for row, word in zip(covering, typed, strict=True):
        if len(word) >= 2:  # the vocabulary words that start with the typed word
            first = bisect.bisect_left(index.vocabulary, word)
            row[first : bisect.bisect_left(index.vocabulary, word + "\U0010ffff")] = 100.0
    best_typed = ratios.max(axis=0)
    # `take` and in-place operations: the same arithmetic in the same order as
    # 0.75 * (covered / typed) + 0.25 * (named / words), without a temporary array per step.
    for shape in index.shapes:
        first, *others = shape.columns
        covered = np.zeros(len(shape.positions))
        for row in covering:
            best = row.take(first)
            for column in others:
                np.maximum(best, row.take(column), out=best)
            covered += best
        named = best_typed.take(first)
        for column in others:
            named += best_typed.take(column)
        covered /= len(typed)
        covered *= 0.75
        named /= len(shape.columns)
        named *= 0.25
        covered += named
        scores.put(shape.positions, covered)
    return scores


def rank_names(index: NameIndex, text: str, *, limit: int, score_cutoff: float) -> list[Suggestion]:
    """Customers whose normalized name is like `text`, best first (`similarities`, 0-100).

    Every name is scored (`similarities`); ties go by name.
    """
    wanted = normalize_name(text)
    if not wanted or not index.ids:
        return []
    # Rounded so that names equal in exact arithmetic tie, and go by name.
    scores = np.round(similarities(index, wanted), 9)
    passing = np.flatnonzero(scores >= score_cutoff)
    if len(passing) > limit:
        # Keep the `limit` best and whatever ties the last of them, then order those exactly.
        kth = np.partition(scores[passing], len(passing) - limit)[len(passing) - limit]
        passing = passing[scores[passing] >= kth]
    ranked = sorted(
        passing.tolist(), key=lambda position: (-scores[position], index.names[position])
    )
    return [
        Suggestion(
            customer_id=index.ids[position],
            name=index.names[position],
            score=round(float(scores[position]), 1),
        )
        for position in ranked[:limit]
    ]
