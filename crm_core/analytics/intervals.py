"""Central intervals for CLV (total and per top customer) from the fitted parameters' uncertainty.

What is covered: the uncertainty of the estimated parameters only, i.e. how different the
forecast could be had the models been fitted to another sample of customers like these. Not
covered: the chance in one customer's own purchases (Poisson noise, whether they drop out),
which would make a single customer's predictive interval far wider (often from $0 up).

Method (Fader & Hardie's models have no closed-form CLV variance; this is the delta method
with simulation, as in Cameron & Trivedi's "Microeconometrics", 7.2):

1. The maximum-likelihood log-parameters are asymptotically normal with covariance the
   inverse Hessian of the negative log-likelihood at the optimum: for the purchase model
   (BG/NBD, MBG/NBD or Pareto/NBD, its 4 parameters) and, independently, for Gamma-Gamma
   (p, q, v), each by central finite differences on the log scale (clv_models), over the
   weighted patterns the refresh fitted on.
2. Per pattern, CLV = A + B x m (A = (1 - w) E(M) D, B = w D, D the discounted expected
   purchases, w Gamma-Gamma's weight of the customer's own mean m). log A and log B are
   linearised in the 7 log-parameters by central differences: 2 x 4 evaluations of D over
   every pattern, the costly part (about 0.35 s each at 50k patterns), and Gamma-Gamma's
   closed forms.
3. DRAWS parameter vectors (fixed seed) are drawn from those normals; each gives every
   customer's CLV and their sum, so the total's interval reflects that all customers share
   the same parameters. The interval is the central `level` share of the draws (5th to 95th
   percentile at 0.9).

Evaluating D exactly at every draw would cost DRAWS x 0.35 s at 50k patterns; the
linearisation is exact to first order in the parameter error, which shrinks as 1/sqrt(n).
The historic fallback has no model and so no interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlmodel import Session

from crm_core.analytics import rankings
from crm_core.models import ScoreRank

if TYPE_CHECKING:  # lifetimes loads with clv_models: only a refresh needs it
    from crm_core.analytics import clv_models

DRAWS = 200
SEED = 14
_STEP = 1e-4  # in log-parameters, for the linearisation
_CHUNK = 20  # draws at a time: 50k patterns x 20 draws is 8 MB a matrix


@dataclass(frozen=True)
class ClvIntervals:
    """The central `level` interval of the total CLV and of chosen customers' CLV."""

    level: float
    total_low: float
    total_high: float
    customer_low: np.ndarray
    customer_high: np.ndarray


def clv_intervals(
    model: clv_models.PurchaseModel,
    gg: clv_models.GammaGamma,
    *,
    patterns,
    spends,
    customer_pattern: np.ndarray,
    customer_order_value: np.ndarray,
    chosen: np.ndarray,
    months: int,
    monthly_discount_rate: float,
    unit: str,
    level: float,
) -> ClvIntervals | None:
    """Intervals of the total CLV over every customer and of the customers at `chosen`
    (positions in customer_pattern / customer_order_value); None when a covariance is not
    defined (a flat likelihood). `patterns` as the refresh fitted on (frequency, recency,
    T, customers); `spends` as Gamma-Gamma was fitted on (frequency, monetary_value,
    customers)."""
    from crm_core.analytics import clv_models

    f, r, t = (patterns[name].to_numpy(dtype=float) for name in ("frequency", "recency", "T"))
    counts = patterns["customers"].to_numpy(dtype=float)
    purchase_cov = clv_models.log_parameter_covariance(model, f, r, t, counts)
    gg_cov = clv_models.gamma_gamma_log_covariance(
        gg, spends["frequency"], spends["monetary_value"], spends["customers"]
    )
    if purchase_cov is None or gg_cov is None:
        return None

    def discounted(at: clv_models.PurchaseModel) -> np.ndarray:
        return clv_models.discounted_expected_purchases(
            at, f, r, t, months=months, monthly_discount_rate=monthly_discount_rate, unit=unit
        )

    def gg_parts(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, q, v = np.exp(theta)
        weight = p * f / (p * f + q - 1)
        return (1 - weight) * p * v / (q - 1), weight  # A / D and B / D

    with np.errstate(all="ignore"):
        theta = np.log([model.params[key] for key in clv_models.PARAMETERS[model.name]])
        phi = np.log([gg.p, gg.q, gg.v])
        d = discounted(model)
        a_over_d, b_over_d = gg_parts(phi)
        base, per_value = a_over_d * d, b_over_d * d
        slope_d = np.column_stack(
            [
                (
                    np.log(discounted(clv_models.with_log_parameters(model, theta + step)))
                    - np.log(discounted(clv_models.with_log_parameters(model, theta - step)))
                )
                / (2 * _STEP)
                for step in np.eye(len(theta)) * _STEP
            ]
        )
        slopes_a, slopes_b = [], []
        for step in np.eye(3) * _STEP:
            up, down = gg_parts(phi + step), gg_parts(phi - step)
            slopes_a.append((np.log(up[0]) - np.log(down[0])) / (2 * _STEP))
            slopes_b.append((np.log(up[1]) - np.log(down[1])) / (2 * _STEP))
    # Where a part is 0 (no repeat purchases: B = 0) its log has no slope: it stays 0.
    slope_a = np.nan_to_num(np.column_stack([slope_d, np.column_stack(slopes_a)]))
    slope_b = np.nan_to_num(np.column_stack([slope_d, np.column_stack(slopes_b)]))

    rng = np.random.default_rng(SEED)
    shifts = np.column_stack(
        [
            rng.multivariate_normal(np.zeros(len(theta)), purchase_cov, size=DRAWS),
            rng.multivariate_normal(np.zeros(3), gg_cov, size=DRAWS),
        ]
    )  # DRAWS x 7
    # Per pattern, the sum of its customers' m, so the total needs no per-customer work.
    value_sum = np.bincount(customer_pattern, weights=customer_order_value, minlength=len(f))
    totals = np.empty(DRAWS)
    for start in range(0, DRAWS, _CHUNK):
        block = shifts[start : start + _CHUNK].T  # 7 x chunk
        drawn_a = base[:, None] * np.exp(slope_a @ block)
        drawn_b = per_value[:, None] * np.exp(slope_b @ block)
        totals[start : start + _CHUNK] = counts @ drawn_a + value_sum @ drawn_b
    which = customer_pattern[chosen]
    value = customer_order_value[chosen, None]
    drawn = base[which, None] * np.exp(slope_a[which] @ shifts.T)
    drawn += value * per_value[which, None] * np.exp(slope_b[which] @ shifts.T)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(totals, [tail, 100 - tail])
    lows, highs = np.percentile(drawn, [tail, 100 - tail], axis=1)
    return ClvIntervals(level, float(low), float(high), lows, highs)


def stored_customer_intervals(
    session: Session, *, team_id: str, customer_ids: list[int]
) -> dict[int, tuple[float, float]]:
    """The stored CLV intervals (low, high) of those of `customer_ids` in the stored top of
    the CLV ranking (rankings.RANKED customers); the others have none."""
    if not customer_ids:
        return {}
    rows = session.execute(
        select(ScoreRank.customer_id, ScoreRank.clv_low, ScoreRank.clv_high).where(
            ScoreRank.team_id == team_id,
            ScoreRank.ranking == rankings.CLV,
            ScoreRank.customer_id.in_(customer_ids),
            ScoreRank.clv_low.is_not(None),
        )
    ).all()
    return {customer_id: (low, high) for customer_id, low, high in rows}
