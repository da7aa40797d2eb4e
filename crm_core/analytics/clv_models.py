"""BG/NBD and Gamma-Gamma, the customer-lifetime-value models, behind one small interface.

This is the only module that imports `lifetimes` (archived upstream, 0.11.3), so a later
move to another implementation (e.g. pymc-marketing's CLV models) touches this file alone.

- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
  to the Pareto/NBD Model", Marketing Science 24(2). Purchases follow a Poisson process with
  rate lambda ~ Gamma(r, alpha) while a customer is alive; after each purchase the customer
  drops out with probability p ~ Beta(a, b).
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value". The average
  order value of a customer with x repeat purchases of mean value m is
  E(M | x, m) = (1 - w) * p*v/(q - 1) + w * m with w = p*x / (p*x + q - 1).

Predictions are computed here on plain numpy arrays (lifetimes' CLV helper fails on
arrays and loops over months with pandas); callers evaluate them once per distinct
(frequency, recency, T) pattern and broadcast.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import hyp2f1

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes sets a pandas option pandas 3 deprecates
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import ConvergenceError

# Time units in a month, as lifetimes' customer_lifetime_value counts them.
UNITS_PER_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0}


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters (time in the unit the data was summarised in)."""

    r: float
    alpha: float
    a: float
    b: float
    converged: bool = True


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters."""

    p: float
    q: float
    v: float
    converged: bool = True

    @property
    def population_mean(self) -> float:
        """The mean average order value over all customers: p*v / (q - 1)."""
        return self.p * self.v / (self.q - 1)


def fit_bgnbd(frequency, recency, age, weights=None) -> BgNbd | None:
    """Fit BG/NBD by maximum likelihood (lifetimes.BetaGeoFitter); None if it does not converge.

    With `weights`, each row stands for that many customers with the same (x, t_x, T), as in
    Fader & Hardie's own condensed data; the estimates equal those of the unweighted fit.
    """
    fitter = BetaGeoFitter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # lifetimes prints failed optimisations
            fitter.fit(frequency, recency, age, weights=weights)
    except ConvergenceError:
        return None
    params = fitter.params_
    return BgNbd(float(params["r"]), float(params["alpha"]), float(params["a"]), float(params["b"]))


def fit_gamma_gamma(frequency, monetary_value, weights=None) -> GammaGamma | None:
    """Fit Gamma-Gamma (lifetimes.GammaGammaFitter) to repeat customers; None if it fails.

    Every frequency must be at least 1 and every monetary value positive.
    """
    fitter = GammaGammaFitter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            fitter.fit(frequency, monetary_value, weights=weights)
    except ConvergenceError:
        return None
    params = fitter.params_
    return GammaGamma(float(params["p"]), float(params["q"]), float(params["v"]))


def _bg_fitter(model: BgNbd) -> BetaGeoFitter:
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b})
    return fitter


def probability_alive(model: BgNbd, frequency, recency, age) -> np.ndarray:
    """P(alive | x, t_x, T), equation (A10) of Fader, Hardie & Lee (2005)."""
    fitter = _bg_fitter(model)
    return np.asarray(fitter.conditional_probability_alive(frequency, recency, age), dtype=float)


def expected_purchases(model: BgNbd, t: float, frequency, recency, age) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T], equation (10) of Fader, Hardie & Lee (2005).

    Computed directly rather than through lifetimes, whose log of the hypergeometric term is
    NaN when a + b + x - 1 < 0 makes that term negative (seen on real data with a + b < 1).
    """
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(age, dtype=float)
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    first, second, third = r + x, b + x, a + b + x - 1
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        hypergeometric = hyp2f1(first, second, third, z)
        # Where the series overflows, Euler's transformation gives the same value.
        euler = hyp2f1(third - first, third - second, third, z) * (1 - z) ** (
            third - first - second
        )
        hypergeometric = np.where(np.isfinite(hypergeometric), hypergeometric, euler)
        numerator = (
            (a + b + x - 1)
            / (a - 1)
            * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hypergeometric)
        )
        repeat = x > 0
        odds = np.where(
            repeat,
            a / np.where(repeat, b + x - 1, 1) * ((alpha + T) / (alpha + t_x)) ** (r + x),
            0.0,
        )
    return numerator / (1 + odds)


def discounted_expected_purchases(
    model: BgNbd, frequency, recency, age, *, months: int, monthly_discount_rate: float, unit: str
) -> np.ndarray:
    """Sum over months k = 1..months of the purchases expected in month k / (1 + d)^k.

    Times an expected order value this is lifetimes' customer_lifetime_value.
    """
    step = UNITS_PER_MONTH[unit]
    total = np.zeros(len(np.asarray(frequency)), dtype=float)
    previous = np.zeros_like(total)
    for month in range(1, months + 1):
        cumulative = expected_purchases(model, month * step, frequency, recency, age)
        total += (cumulative - previous) / (1 + monthly_discount_rate) ** month
        previous = cumulative
    return total


def expected_order_value(model: GammaGamma, frequency, monetary_value) -> np.ndarray:
    """E(M | x, m): equation (5) of Fader & Hardie's Gamma-Gamma note (population mean at x = 0)."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    weight = model.p * x / (model.p * x + model.q - 1)
    return (1 - weight) * model.population_mean + weight * m
