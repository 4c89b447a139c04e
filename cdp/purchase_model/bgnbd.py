"""BG/NBD (Fader, Hardie & Lee 2005): how many purchase days a customer makes, and whether
they are still alive (rules §7).

While alive, a customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase
they drop out with probability p ~ Beta(a, b). The data per customer are (x, t_x, T) as
`summary.customer_summary` computes them, in days, so α is per day (α per week = α / 7).

The log-likelihood is evaluated once per distinct (x, t_x, T) triple, weighted by how many
customers share it: day-granular triples repeat a lot, which makes a fit on a million
customers a fit on far fewer rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from cdp.purchase_model.optimise import Optimum, maximise

MIN_REPEAT_CUSTOMERS = 10
"""Fewer customers with a repeat purchase than this and the fit does not converge: with no
repeat purchases at all the likelihood has no maximum (r -> 0 or α -> ∞)."""

A_NEAR_ONE = 1e-6
"""The conditional expectation divides by a - 1 (a removable singularity): within this
distance of 1 it is evaluated at a = 1 ± A_NEAR_ONE instead (a relative change of ~1e-6)."""


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters with the day as the time unit."""

    r: float
    alpha: float
    a: float
    b: float

    NAMES: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    def values(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b], dtype=float)


@dataclass(frozen=True)
class Triples:
    """Distinct (x, t_x, T) triples, how many customers share each, and each customer's row."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray
    inverse: np.ndarray


def distinct_triples(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Triples:
    """Day-granular (x, t_x, T) as one int64 key each, deduplicated with their counts."""
    x, t_x, T = (np.asarray(v, dtype=np.int64) for v in (x, t_x, T))
    if len(T) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Triples(empty, empty, empty, empty, empty)
    span = int(T.max()) + 1
    keys, inverse, counts = np.unique(
        (x * span + t_x) * span + T, return_inverse=True, return_counts=True
    )
    return Triples(
        x=keys // (span * span),
        t_x=keys // span % span,
        T=keys % span,
        weight=counts.astype(float),
        inverse=inverse,
    )


def _terms(theta: np.ndarray, x, t_x, T):
    """The pieces of each row's log-likelihood: ll = A1 + A2 + logaddexp(A3, A4)."""
    r, alpha, a, b = theta
    repeat = x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            repeat, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return a1, a2, a3, a4


def log_likelihood(params: BgNbdParams, x, t_x, T, weight=None) -> float:
    """Total BG/NBD log-likelihood of the rows (each counted `weight` times)."""
    a1, a2, a3, a4 = _terms(params.values(), *(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return float(np.sum(ll if weight is None else ll * weight))


def _negative_mean_ll(log_theta: np.ndarray, triples: Triples) -> tuple[float, np.ndarray]:
    """Minus the mean log-likelihood per customer and its gradient in log-parameters."""
    theta = np.exp(log_theta)
    r, alpha, a, b = theta
    x, t_x, T = (v.astype(float) for v in (triples.x, triples.t_x, triples.T))
    w = triples.weight
    a1, a2, a3, a4 = _terms(theta, x, t_x, T)
    tail = np.logaddexp(a3, a4)
    w3, w4 = np.exp(a3 - tail), np.exp(a4 - tail)
    repeat = x > 0
    safe_prev = np.where(repeat, b + x - 1, 1.0)
    d_r = (digamma(r + x) - digamma(r) + np.log(alpha)
           - w3 * np.log(alpha + T) - w4 * np.log(alpha + t_x))
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + t_x)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = (digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x)
           - np.where(repeat, w4 / safe_prev, 0.0))
    total = w.sum()
    value = -np.sum(w * (a1 + a2 + tail)) / total
    grad = -np.array([np.sum(w * d) for d in (d_r, d_alpha, d_a, d_b)]) / total * theta
    return value, grad


def default_start(triples: Triples) -> BgNbdParams:
    """r = 1, α from the mean purchase rate ignoring drop-out, a = b = 1."""
    days = float(np.sum(triples.weight * triples.T))
    repeats = float(np.sum(triples.weight * triples.x))
    return BgNbdParams(r=1.0, alpha=max(days / max(repeats, 1.0), 1.0), a=1.0, b=1.0)


def fit(triples: Triples, start: BgNbdParams | None = None) -> Optimum:
    """Maximum likelihood on log-parameters (L-BFGS-B with the analytic gradient), from
    `start` (e.g. the previous parameters) or `default_start`. The optimum's `params` are a
    `BgNbdParams`; it is not `converged` on too few repeat customers."""
    repeaters = int(np.sum(triples.weight[triples.x > 0]))
    if repeaters < MIN_REPEAT_CUSTOMERS:
        return Optimum.failed(
            f"{repeaters} customers with a repeat purchase, at least {MIN_REPEAT_CUSTOMERS} needed"
        )
    default = default_start(triples).values()
    optimum = maximise(
        lambda log_theta: _negative_mean_ll(log_theta, triples),
        start.values() if start else default, default, BgNbdParams.NAMES,
        n=int(triples.weight.sum()),
    )
    if not optimum.converged:
        return optimum
    return optimum.with_params(BgNbdParams(*map(float, optimum.theta)))


def p_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T): 1 when x = 0 (drop-out only follows a repeat purchase)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return expit(-_log_odds_dead(params, x, t_x, T))


def _log_odds_dead(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """log(P(dead) / P(alive)) = log(a / (b + x - 1)) + (r + x) log((α + T) / (α + t_x))."""
    r, alpha, a, b = params.values()
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (np.log(a) - np.log(b + x - 1)
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    return np.where(x > 0, odds, -np.inf)


def expected_purchases(params: BgNbdParams, t: float, x, t_x, T) -> np.ndarray:
    """E[purchase days in (T, T + t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10):

        (a + b + x - 1) / (a - 1) * [1 - ((α + T) / (α + T + t))^(r + x)
                                     * 2F1(r + x, b + x; a + b + x - 1; z)] * P(alive),
        z = t / (α + T + t).

    The Gauss function there has parameters growing with x and blows up for frequent
    buyers (x = 300 over T = 365), cancelling against a vanishing power. Euler's
    transformation 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z) turns the
    product into (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), whose upper
    parameters do not depend on x: a quickly converging series with no overflow. Its
    difference from 1 is taken in log space (-expm1), exact to rounding for small t.
    """
    r, alpha, a, b = params.values()
    a = a if abs(a - 1.0) >= A_NEAR_ONE else 1.0 + np.copysign(A_NEAR_ONE, a - 1.0)
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    c = a + b + x - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        log_product = (a - 1) * np.log1p(-z) + np.log(hyp2f1(a + b - 1 - r, a - 1, c, z))
    expected_if_alive = c / (a - 1) * -np.expm1(log_product)
    return expected_if_alive * p_alive(params, x, t_x, T)
