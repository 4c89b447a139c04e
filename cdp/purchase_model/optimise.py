"""Maximum likelihood on log-parameters, shared by both models of rules §7, and the checks
that decide whether a fit converged: a gradient near zero (whatever the optimiser's
verdict), finite parameters and log-likelihood, and no parameter run off to the edge of its
box (a likelihood whose maximum lies at zero or infinity, e.g. on too little or degenerate
data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.optimize import minimize

BOX = 1e6
"""Each parameter is sought within 1/BOX .. BOX times its data-scaled default start value;
the optimum on the edge of that box means the likelihood has no maximum inside it."""

GRADIENT_TOLERANCE = 1e-5
"""A fit is at a maximum only with every gradient component (of the mean log-likelihood per
customer, in log-parameters) below this, whatever the optimiser says: L-BFGS-B also stops
when one step no longer lowers the function by a relative 1e-12, which on a likelihood
without a maximum (a ridge towards infinity) can happen far from any maximum."""

RESTARTS = 5
"""Times L-BFGS-B is started again from where it stopped with a gradient above the
tolerance (a fresh start forgets its curvature estimate and can walk on along a ridge)."""

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _verdict(message: str) -> str:
    """L-BFGS-B's own words, or what they mean when it gives none (SciPy says only
    "ABNORMAL: " when its line search finds no step that lowers the function)."""
    text = str(message).strip().rstrip(":").strip()
    if text in ("", "ABNORMAL"):
        return "L-BFGS-B: the line search found no better step"
    return f"L-BFGS-B: {text}"


@dataclass(frozen=True)
class Optimum:
    """A fit's outcome: parameters (a model's params class), total log-likelihood, customers."""

    converged: bool
    message: str
    theta: np.ndarray | None = None
    params: Any = None
    log_likelihood: float = float("nan")
    n_customers: int = 0

    @classmethod
    def failed(cls, message: str) -> Optimum:
        return cls(converged=False, message=message)

    def with_params(self, params: Any) -> Optimum:
        return replace(self, params=params)


def maximise(
    objective: Objective, start: np.ndarray, default: np.ndarray, names: Sequence[str], n: int
) -> Optimum:
    """Minimise `objective` (minus the mean log-likelihood per customer, and its gradient,
    over log-parameters) with L-BFGS-B from `start`, within the box around `default`; `n`
    customers turn the mean back into a total."""
    low, high = np.log(default) - np.log(BOX), np.log(default) + np.log(BOX)
    x = np.clip(np.log(start), low, high)
    for _ in range(1 + RESTARTS):
        with np.errstate(all="ignore"):
            result = minimize(
                objective, x, jac=True, method="L-BFGS-B", bounds=list(zip(low, high)),
                options={"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-7},
            )
        at_edge = [f"{name} -> {'0' if v - lo < hi - v else 'infinity'}"
                   for name, v, lo, hi in zip(names, result.x, low, high)
                   if min(v - lo, hi - v) < 1e-6]
        steep = not np.max(np.abs(result.jac)) < GRADIENT_TOLERANCE
        if at_edge or not steep or np.array_equal(result.x, x):
            break
        x = result.x
    theta = np.exp(result.x)
    log_likelihood = -float(result.fun) * n
    if not (np.all(np.isfinite(theta)) and np.isfinite(log_likelihood)):
        return Optimum.failed("non-finite parameters or log-likelihood")
    if at_edge:
        return Optimum.failed(f"the likelihood has no maximum: {', '.join(at_edge)}")
    if steep:
        gradient = float(np.max(np.abs(result.jac)))
        return Optimum.failed(
            f"optimiser stopped short of a maximum: largest gradient {gradient:.2g}, above "
            f"{GRADIENT_TOLERANCE:g}, after {result.nit} iterations ({_verdict(result.message)})"
        )
    return Optimum(
        True, "converged", theta=theta, log_likelihood=log_likelihood, n_customers=n
    )
