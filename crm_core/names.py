"""Normalizing customer names so "ACME, Inc." and "acme" match."""

from __future__ import annotations

import re
import unicodedata

# Legal-form words that say nothing about which company is meant.
_LEGAL_FORMS = {
    "ag",
    "bv",
    "co",
    "company",
    "corp",
    "corporation",
    "gmbh",
    "inc",
    "incorporated",
    "limited",
    "llc",
    "llp",
    "ltd",
    "nv",
    "oy",
    "plc",
    "pty",
    "sa",
    "sarl",
    "sas",
    "spa",
}
_NON_WORD = re.compile(r"[^\w]+")
NORMALIZED_MAX = 255


def normalize_name(name: str) -> str:
    """Lower case, accents and punctuation removed, legal forms dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    # "S.A." and "L.L.C." are the legal forms "sa" and "llc".
    words = _NON_WORD.sub(" ", text.replace(".", "")).split()
    kept = [w for w in words if w not in _LEGAL_FORMS] or words
    return " ".join(kept)[:NORMALIZED_MAX]
