"""Terminal text for a model check (crm_core.analytics.model_check), console and chat alike."""

from __future__ import annotations

from typing import Any

from reports.templating import render_text


def model_check_text(check: Any) -> str:
    """The check's tables: holdout purchases in total and by calibration repeat purchases,
    revenue, top-decile share, each model's parameters and the model chosen."""
    return render_text("model_check.txt.j2", check=check)
