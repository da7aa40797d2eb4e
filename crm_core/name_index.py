"""Fuzzy search over a workspace's customer names, kept in memory between requests.

Reading 100,000 names for every lookup would cost more than the lookup itself, so each
process keeps the names of recently used workspaces and reloads them only when a cheap
aggregate (count, newest id, newest change) says they changed, in this process or another.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlmodel import Session, select

from crm_core.errors import Suggestion
from crm_core.models import Customer
from crm_core.names import normalize_name

_WORKSPACES_KEPT = 64
# Candidates the cheap scorers hand to the careful one.
_SHORTLIST = 50


@dataclass(frozen=True)
class NameIndex:
    """One workspace's customer ids, names and normalized names, as of `stamp`."""

    stamp: object
    ids: list[int]
    names: list[str]
    normalized: list[str]
    # All normalized names in one string, and where each starts: substring search in C.
    blob: str = field(init=False, repr=False)
    starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts, position = [], 0
        for name in self.normalized:
            starts.append(position)
            position += len(name) + 1
        object.__setattr__(self, "blob", "\n".join(self.normalized))
        object.__setattr__(self, "starts", starts)

    def containing(self, needle: str, limit: int) -> list[int]:
        """Positions of up to `limit` names that contain `needle`."""
        found: list[int] = []
        for match in re.finditer(re.escape(needle), self.blob):
            position = bisect.bisect_right(self.starts, match.start()) - 1
            if not found or found[-1] != position:
                found.append(position)
                if len(found) >= limit:
                    break
        return found


_cache: OrderedDict[tuple[str, str], NameIndex] = OrderedDict()
_lock = threading.Lock()
_loading: defaultdict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)


def name_index(session: Session, *, team_id: str) -> NameIndex:
    """The workspace's names, from memory when nothing changed since they were read.

    Every insert and update of a customer sets updated_at (merges too), so the newest
    updated_at, read from its index, says whether anything changed.
    """
    stamp = session.exec(
        select(func.max(Customer.updated_at)).where(Customer.team_id == team_id)
    ).one()
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


def similarity(wanted: str, name: str) -> float:
    """How well a normalized query names a normalized customer name, 0-100.

    Three quarters: how well each word typed matches some word of the name (a typed word
    that starts a name's word counts in full, so "acme ro" fits "acme rockets"); one
    quarter: how much of the name was typed. "simpson rowe" thus prefers "simpson rowe and
    odom" to "simpson", which plain partial-ratio scorers rate the same.
    """
    typed, words = wanted.split(), name.split()
    if not typed or not words:
        return 0.0
    covered = sum(max(_word_score(t, w) for w in words) for t in typed) / len(typed)
    named = sum(max(fuzz.ratio(w, t) for t in typed) for w in words) / len(words)
    return 0.75 * covered + 0.25 * named


def _word_score(typed: str, word: str) -> float:
    if len(typed) >= 2 and word.startswith(typed):
        return 100.0
    return fuzz.ratio(typed, word)


def rank_names(index: NameIndex, text: str, *, limit: int, score_cutoff: float) -> list[Suggestion]:
    """Customers whose normalized name is like `text`, best first (`similarity`, 0-100).

    Scoring every one of 100,000 names word by word is too slow for chat, so a shortlist
    comes first: the closest whole names (rapidfuzz QRatio) and the names containing the
    text or its longest word.
    """
    wanted = normalize_name(text)
    if not wanted or not index.ids:
        return []
    shortlist = {
        position
        for _, _, position in process.extract(
            wanted,
            index.normalized,
            scorer=fuzz.QRatio,
            limit=_SHORTLIST,
            score_cutoff=score_cutoff * 0.9,
        )
    }
    longest = max(wanted.split(), key=len)
    for needle in dict.fromkeys((wanted, longest if len(longest) >= 3 else wanted)):
        shortlist.update(index.containing(needle, 4 * _SHORTLIST))
    scored = [(similarity(wanted, index.normalized[position]), position) for position in shortlist]
    scored = [(score, position) for score, position in scored if score >= score_cutoff]
    scored.sort(key=lambda pair: (-pair[0], index.names[pair[1]]))
    return [
        Suggestion(
            customer_id=index.ids[position], name=index.names[position], score=round(score, 1)
        )
        for score, position in scored[:limit]
    ]
