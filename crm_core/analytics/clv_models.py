"""BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma, the customer-lifetime-value models, behind
one small interface.

This is the only module that imports `lifetimes` (archived upstream, 0.11.3), so a later
move to another implementation (e.g. pymc-marketing's CLV models) touches this file alone.

- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
  to the Pareto/NBD Model", Marketing Science 24(2). Purchases follow a Poisson process with
  rate lambda ~ Gamma(r, alpha) while a customer is alive; after each purchase the customer
  drops out with probability p ~ Beta(a, b).
- MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of
  models for customer base analysis", IJRM 24(3). BG/NBD with a dropout chance at time zero
  as well, so a one-time buyer is not certainly alive.
- Pareto/NBD: Schmittlein, Morrison & Colombo (1987); Fader & Hardie's derivations note
  (2005). Lifetimes are exponential with rate mu ~ Gamma(s, beta), independent of purchases.
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
    from lifetimes import (
        BetaGeoFitter,
        GammaGammaFitter,
        ModifiedBetaGeoFitter,
        ParetoNBDFitter,
    )
    from lifetimes.utils import ConvergenceError

# Time units in a month, as lifetimes' customer_lifetime_value counts them.
UNITS_PER_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0}
# The purchase models, their names in text and their parameters.
MODEL_NAMES = ("bgnbd", "mbgnbd", "paretonbd")
LABELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "paretonbd": "Pareto/NBD"}
PARAMETERS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
}
# lifetimes' Pareto/NBD starts Nelder-Mead at a random point and stops at tol 1e-4, which
# lands up to 0.04 away from the optimum (and elsewhere again on condensed, weighted data);
# from a fixed start at a tight tolerance it reaches the same estimates either way.
_FIT_OPTIONS = {"paretonbd": {"initial_params": np.ones(4), "tol": 1e-10, "maxiter": 20000}}
_FITTERS = {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter, "paretonbd": ParetoNBDFitter}


@dataclass(frozen=True)
class PurchaseModel:
    """A fitted purchase model: its name (one of MODEL_NAMES) and parameters by name."""

    name: str
    params: dict[str, float]

    @property
    def label(self) -> str:
        return LABELS[self.name]


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


def fit_model(name: str, frequency, recency, age, weights=None) -> PurchaseModel | None:
    """Fit the purchase model `name` (bgnbd, mbgnbd or paretonbd) by maximum likelihood with
    lifetimes' fitter; None if it does not converge or gives non-finite parameters.

    `weights` as for fit_bgnbd: each row stands for that many customers.
    """
    if name not in _FITTERS:
        raise ValueError(f"unknown purchase model {name!r}; one of {', '.join(MODEL_NAMES)}")
    fitter = _FITTERS[name]()
    weights = None if weights is None else np.asarray(weights)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter.fit(frequency, recency, age, weights=weights, **_FIT_OPTIONS.get(name, {}))
    except (ConvergenceError, ValueError, FloatingPointError):
        return None
    params = {key: float(fitter.params_[key]) for key in PARAMETERS[name]}
    if not all(np.isfinite(value) and value > 0 for value in params.values()):
        return None
    return PurchaseModel(name, params)


def as_purchase_model(model: BgNbd | PurchaseModel) -> PurchaseModel:
    """The model as a PurchaseModel (a BgNbd becomes the bgnbd one)."""
    if isinstance(model, PurchaseModel):
        return model
    return PurchaseModel("bgnbd", {"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b})


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


def _fitter(model: PurchaseModel):
    fitter = _FITTERS[model.name]()
    fitter.params_ = pd.Series({key: model.params[key] for key in PARAMETERS[model.name]})
    return fitter


def _hyp2f1(a, b, c, z) -> np.ndarray:
    """Gauss' 2F1; where the series overflows, Euler's transformation gives the same value."""
    with np.errstate(all="ignore"):
        direct = hyp2f1(a, b, c, z)
        euler = hyp2f1(c - a, c - b, c, z) * (1 - z) ** (c - a - b)
    return np.where(np.isfinite(direct), direct, euler)


def probability_alive(model: BgNbd | PurchaseModel, frequency, recency, age) -> np.ndarray:
    """P(alive | x, t_x, T): (A10) of Fader, Hardie & Lee (2005) for BG/NBD, (5) of Batislam
    et al. (2007) for MBG/NBD, (36)-(37) of Fader & Hardie's Pareto/NBD note."""
    model = as_purchase_model(model)
    if model.name == "mbgnbd":
        x = np.asarray(frequency, dtype=float)
        t_x = np.asarray(recency, dtype=float)
        T = np.asarray(age, dtype=float)
        r, alpha, a, b = (model.params[key] for key in PARAMETERS["mbgnbd"])
        with np.errstate(all="ignore"):
            return 1.0 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alive = _fitter(model).conditional_probability_alive(frequency, recency, age)
    return np.asarray(alive, dtype=float)


def expected_purchases(
    model: BgNbd | PurchaseModel, t: float, frequency, recency, age
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T]: (10) of Fader, Hardie & Lee (2005) for BG/NBD,
    Batislam et al. (2007) for MBG/NBD, (41) of Fader & Hardie's Pareto/NBD note.

    BG/NBD and MBG/NBD are computed directly rather than through lifetimes, whose log of the
    hypergeometric term is NaN when a + b + x - 1 < 0 makes that term negative (seen on real
    data with a + b < 1).
    """
    model = as_purchase_model(model)
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(age, dtype=float)
    if model.name == "paretonbd":
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = _fitter(model).conditional_expected_number_of_purchases_up_to_time(
                t, x, t_x, T
            )
        return np.asarray(expected, dtype=float)
    r, alpha, a, b = (model.params[key] for key in PARAMETERS[model.name])
    z = t / (alpha + T + t)
    decay = ((alpha + T) / (alpha + T + t)) ** (r + x)
    with np.errstate(all="ignore"):
        if model.name == "mbgnbd":
            numerator = (
                (a + b + x) / (a - 1) * (1 - decay * _hyp2f1(r + x, b + x + 1, a + b + x, z))
            )
            return numerator / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        numerator = (
            (a + b + x - 1) / (a - 1) * (1 - decay * _hyp2f1(r + x, b + x, a + b + x - 1, z))
        )
        repeat = x > 0
        odds = np.where(
            repeat,
            a / np.where(repeat, b + x - 1, 1) * ((alpha + T) / (alpha + t_x)) ** (r + x),
            0.0,
        )
    return numerator / (1 + odds)


def probability_no_purchase(
    model: BgNbd | PurchaseModel, t: float, frequency, recency, age
) -> np.ndarray:
    """P(no purchase in (T, T + t] | x, t_x, T).

    BG/NBD and MBG/NBD: a customer drops out only at a purchase (or, under MBG/NBD, at time
    zero), so one who is alive at T buys nothing in t with the chance that their Poisson
    rate, posterior Gamma(r + x, alpha + T), gives no event:
    P0 = (1 - P(alive)) + P(alive) x ((alpha + T) / (alpha + T + t))^(r + x).
    Pareto/NBD: (16) of Fader & Hardie's conditional-pmf note at n = 0 (lifetimes).
    """
    model = as_purchase_model(model)
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(age, dtype=float)
    if model.name == "paretonbd":
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            none = _fitter(model).conditional_probability_of_n_purchases_up_to_time(0, t, x, t_x, T)
        return np.clip(np.asarray(none, dtype=float), 0.0, 1.0)
    r, alpha = model.params["r"], model.params["alpha"]
    alive = probability_alive(model, x, t_x, T)
    return (1 - alive) + alive * ((alpha + T) / (alpha + T + t)) ** (r + x)


def discounted_expected_purchases(
    model: BgNbd | PurchaseModel,
    frequency,
    recency,
    age,
    *,
    months: int,
    monthly_discount_rate: float,
    unit: str,
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


def _total_negative_log_likelihood(name: str, theta, frequency, recency, age, weights) -> float:
    """The purchase model's negative log-likelihood summed over customers, at log-parameters
    `theta` (lifetimes' own likelihoods, which are averaged, times the customer count)."""
    fitter = _FITTERS[name]
    if name == "paretonbd":  # lifetimes' Pareto/NBD takes the parameters themselves
        mean = fitter._negative_log_likelihood(np.exp(theta), frequency, recency, age, weights, 0)
        return float(mean * weights.mean())
    mean = fitter._negative_log_likelihood(theta, frequency, recency, age, weights, 0)
    return float(mean * weights.sum())


def _covariance_from_hessian(nll, theta: np.ndarray, step: float = 1e-3) -> np.ndarray | None:
    """The inverse of nll's central finite-difference Hessian at `theta`, or None when that
    Hessian is not positive definite (a flat or ill-posed likelihood gives no covariance)."""
    size = len(theta)
    hessian = np.empty((size, size))
    unit = np.eye(size) * step
    for i in range(size):
        for j in range(i, size):
            value = (
                nll(theta + unit[i] + unit[j])
                - nll(theta + unit[i] - unit[j])
                - nll(theta - unit[i] + unit[j])
                + nll(theta - unit[i] - unit[j])
            ) / (4 * step * step)
            hessian[i, j] = hessian[j, i] = value
    if not np.isfinite(hessian).all():
        return None
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None
    covariance = np.linalg.inv(hessian)
    return (covariance + covariance.T) / 2


def log_parameter_covariance(
    model: BgNbd | PurchaseModel, frequency, recency, age, weights=None
) -> np.ndarray | None:
    """The asymptotic covariance of the maximum-likelihood log-parameters (PARAMETERS order):
    the inverse Hessian of the negative log-likelihood at the fit, by finite differences on
    the log scale (which keeps every parameter positive). None if it is not defined."""
    model = as_purchase_model(model)
    x, t_x, T = (np.asarray(values, dtype=float) for values in (frequency, recency, age))
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    theta = np.log([model.params[key] for key in PARAMETERS[model.name]])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _covariance_from_hessian(
            lambda point: _total_negative_log_likelihood(model.name, point, x, t_x, T, w), theta
        )


def gamma_gamma_log_covariance(
    model: GammaGamma, frequency, monetary_value, weights=None
) -> np.ndarray | None:
    """The asymptotic covariance of Gamma-Gamma's log (p, q, v), as log_parameter_covariance."""
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    theta = np.log([model.p, model.q, model.v])

    def nll(point):
        mean = GammaGammaFitter._negative_log_likelihood(point, x, m, w, 0)
        return float(mean * w.sum())

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _covariance_from_hessian(nll, theta)


def with_log_parameters(model: BgNbd | PurchaseModel, theta) -> PurchaseModel:
    """The same purchase model at log-parameters `theta` (PARAMETERS order)."""
    model = as_purchase_model(model)
    keys = PARAMETERS[model.name]
    return PurchaseModel(model.name, dict(zip(keys, np.exp(theta).tolist(), strict=True)))
