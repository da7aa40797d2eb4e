"""Terminal text for the CLI's own commands (import, demo)."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

from reports.templating import render_text


def import_summary_text(summary: Any, path: str | Path) -> str:
    """One paragraph on what an import added, updated and left alone."""
    return render_text("import_summary.txt.j2", summary=summary, path=path)


def demo_tour_text(
    *, overview: Any, load: Any, team_id: str, tz: tzinfo, reps: dict[str, str]
) -> str:
    """The short tour `crm demo` prints: what is in the workspace and where to look next."""
    return render_text(
        "demo_tour.txt.j2", overview=overview, load=load, team_id=team_id, tz=tz, reps=reps
    )


def analytics_refresh_text(fit: Any, warning: Any = None) -> str:
    """What a refresh fitted, on how much data, and how long it took."""
    import json

    params = json.loads(fit.model_params) if getattr(fit, "model_params", None) else None
    labels = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD"}
    return render_text(
        "analytics_refresh.txt.j2",
        fit=fit,
        model_params=params,
        model_label=labels.get(getattr(fit, "model", None) or "", ""),
        warning=warning,
    )
