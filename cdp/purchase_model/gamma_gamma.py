"""Gamma-Gamma spend model (Fader & Hardie, "The Gamma-Gamma Model of Monetary Value",
2013): what a customer spends on a purchase day (rules §7).

A purchase day's spend is Gamma(p, ν) with a customer's ν ~ Gamma(q, γ); the mean m of a
customer's x repeat purchase days is then Gamma(p x, ν x). Fitted on the customers with
x > 0 and m > 0; rows sharing (x, m) are evaluated once, weighted by their count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from cdp.purchase_model.optimise import Optimum, maximise

MIN_CUSTOMERS = 10
"""Fewer customers with x > 0 and m > 0 than this and the fit does not converge."""


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters (γ in yuan, as m)."""

    p: float
    q: float
    gamma: float

    NAMES: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")

    def values(self) -> np.ndarray:
        return np.array([self.p, self.q, self.gamma], dtype=float)


@dataclass(frozen=True)
class Spends:
    """Distinct (x, m) pairs of the customers with x > 0 and m > 0, with their counts."""

    x: np.ndarray
    m: np.ndarray
    weight: np.ndarray


def distinct_spends(x, m) -> Spends:
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x > 0) & (m > 0)
    pairs, counts = np.unique(np.column_stack([x[keep], m[keep]]), axis=0, return_counts=True)
    return Spends(x=pairs[:, 0], m=pairs[:, 1], weight=counts.astype(float))


def _row_ll(theta: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, gamma = theta
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + m * x))


def log_likelihood(params: GammaGammaParams, x, m, weight=None) -> float:
    """Total log-likelihood of the rows' mean spends m over x repeat purchase days."""
    ll = _row_ll(params.values(), np.asarray(x, dtype=float), np.asarray(m, dtype=float))
    return float(np.sum(ll if weight is None else ll * weight))


def _negative_mean_ll(log_theta: np.ndarray, spends: Spends) -> tuple[float, np.ndarray]:
    """Minus the mean log-likelihood per customer and its gradient in log-parameters."""
    theta = np.exp(log_theta)
    p, q, gamma = theta
    x, m, w = spends.x, spends.m, spends.weight
    px = p * x
    shared = digamma(px + q)
    log_share = np.log(gamma) - np.log(gamma + m * x)
    d_p = x * (shared - digamma(px) + np.log(m) + np.log(x) - np.log(gamma + m * x))
    d_q = shared - digamma(q) + log_share
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    total = w.sum()
    value = -np.sum(w * _row_ll(theta, x, m)) / total
    grad = -np.array([np.sum(w * d) for d in (d_p, d_q, d_gamma)]) / total * theta
    return value, grad


def default_start(spends: Spends) -> GammaGammaParams:
    """p = 1, q = 2, γ = the mean spend (so that the population mean p γ / (q - 1) is it)."""
    return GammaGammaParams(p=1.0, q=2.0, gamma=float(np.average(spends.m, weights=spends.weight)))


def fit(spends: Spends, start: GammaGammaParams | None = None) -> Optimum:
    """Maximum likelihood on log-parameters from `start` or `default_start`. Not converged
    on fewer than MIN_CUSTOMERS customers, or with q <= 1 (an infinite population mean)."""
    n = int(spends.weight.sum())
    if n < MIN_CUSTOMERS:
        return Optimum.failed(
            f"{n} customers with a repeat purchase and spend, at least {MIN_CUSTOMERS} needed"
        )
    default = default_start(spends).values()
    optimum = maximise(
        lambda log_theta: _negative_mean_ll(log_theta, spends),
        start.values() if start else default, default, GammaGammaParams.NAMES, n=n,
    )
    if not optimum.converged:
        return optimum
    params = GammaGammaParams(*map(float, optimum.theta))
    if params.q <= 1:
        return Optimum.failed(f"q = {params.q:.3g} <= 1: the population mean spend is infinite")
    return optimum.with_params(params)


def expected_value(params: GammaGammaParams, x, m) -> np.ndarray:
    """E[spend per purchase day | x, m] = p (γ + x m) / (p x + q - 1): the population mean
    p γ / (q - 1) when x = 0, tending to m as x grows."""
    p, q, gamma = params.values()
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return p * (gamma + x * m) / (p * x + q - 1)
