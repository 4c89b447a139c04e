"""The purchase model step the pipeline calls (rules §7): fit BG/NBD and Gamma-Gamma on the
customer summary as of D, predict per customer, and publish the parameters per model.

A model whose fit does not converge (the optimiser's verdict, non-finite values, a likelihood
with no maximum, too few customers) keeps the previous parameters, and the result says so;
with no previous parameters that is a `PurchaseModelError`. Nothing published is ever NaN.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
import pandas as pd

from cdp.purchase_model import bgnbd, gamma_gamma
from cdp.purchase_model.bgnbd import BgNbdParams
from cdp.purchase_model.gamma_gamma import GammaGammaParams
from cdp.purchase_model.optimise import Optimum

TIME_UNIT = "day"
HORIZON_ORDERS_DAYS = 90
HORIZON_CLV_DAYS = 365
PARAMS_CLASSES = {"bgnbd": BgNbdParams, "gamma_gamma": GammaGammaParams}
LABELS = {"bgnbd": f"BG/NBD (time unit: {TIME_UNIT})", "gamma_gamma": "Gamma-Gamma (yuan)"}
PARAMETER_COLUMNS = (
    "model", "parameter", "value", "time_unit", "log_likelihood", "n_customers",
    "as_of_date", "converged", "fitted_as_of", "note",
)
PREDICTION_COLUMNS = (
    "customer_id", "p_alive", "expected_orders_90d", "expected_order_value", "clv_365d",
)


class PurchaseModelError(Exception):
    """Nothing can be published: a fit failed with no previous parameters to keep, the
    previous parameters are unreadable, or a prediction would not be finite."""


@dataclass(frozen=True)
class Estimate:
    """One model's parameters and the fit they come from: its log-likelihood, the customers
    it was fitted on and the as-of date of its data (None: this run's)."""

    params: BgNbdParams | GammaGammaParams
    log_likelihood: float
    n_customers: int
    fitted_as_of: date | None = None


@dataclass(frozen=True)
class Parameters:
    """Both models' estimates: what a run publishes and the next run falls back on."""

    bgnbd: Estimate
    gamma_gamma: Estimate

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Parameters:
        """Read back the rows of one as-of date of a `parameters_frame`."""
        dates = {_as_date(v) for v in frame["as_of_date"]}
        if len(dates) != 1:
            raise PurchaseModelError(
                f"previous parameters: expected the rows of one as-of date, got {len(dates)}"
            )
        return cls(**{model: _estimate_from_rows(frame, model) for model in PARAMS_CLASSES})


@dataclass(frozen=True)
class ModelFit:
    """One model's outcome in a run: the estimate to publish, whether it is new, and the
    seconds the fit took."""

    model: str
    estimate: Estimate
    converged: bool
    message: str
    seconds: float = 0.0

    @property
    def fitted_as_of(self) -> date | None:
        """The as-of date the published values were estimated on (None: this run's)."""
        return self.estimate.fitted_as_of

    def note(self) -> str | None:
        if self.converged:
            return None
        return (f"fit did not converge ({self.message}); kept the parameters fitted as of "
                f"{self.fitted_as_of}")


@dataclass(frozen=True)
class FitResult:
    """Both models' outcomes in a run."""

    bgnbd: ModelFit
    gamma_gamma: ModelFit

    @property
    def fits(self) -> tuple[ModelFit, ModelFit]:
        return self.bgnbd, self.gamma_gamma

    @property
    def estimates(self) -> Parameters:
        """The estimates the predictions use (kept ones where a fit did not converge)."""
        return Parameters(bgnbd=self.bgnbd.estimate, gamma_gamma=self.gamma_gamma.estimate)

    def parameters(self, as_of: date) -> Parameters:
        """The published estimates, a new fit's dated `as_of`."""
        return Parameters(**{
            f.model: replace(f.estimate, fitted_as_of=f.fitted_as_of or as_of) for f in self.fits
        })


def fit(summary: pd.DataFrame, previous: Parameters | None = None) -> FitResult:
    """Fit both models on a `customer_summary` frame (columns x, t_x, T, m), each starting
    from its previous parameters when there are some (then from default values, should that
    fail). A model that does not converge keeps its previous estimate."""

    def triples() -> bgnbd.Triples:
        return bgnbd.distinct_triples(summary["x"], summary["t_x"], summary["T"])

    def spends() -> gamma_gamma.Spends:
        return gamma_gamma.distinct_spends(summary["x"], summary["m"])

    return FitResult(
        bgnbd=_fit_model("bgnbd", bgnbd.fit, triples, previous.bgnbd if previous else None),
        gamma_gamma=_fit_model(
            "gamma_gamma", gamma_gamma.fit, spends, previous.gamma_gamma if previous else None
        ),
    )


def _fit_model(
    model: str,
    fit_function: Callable[..., Optimum],
    rows: Callable[[], object],
    previous: Estimate | None,
) -> ModelFit:
    """One model's fit, timed from its rows' deduplication to its verdict."""
    started = time.perf_counter()
    data = rows()
    optimum = fit_function(data, previous.params) if previous else fit_function(data)
    if previous and not optimum.converged:
        retry = fit_function(data)
        optimum = retry if retry.converged else optimum
    seconds = time.perf_counter() - started
    if optimum.converged:
        estimate = Estimate(optimum.params, optimum.log_likelihood, optimum.n_customers)
        return ModelFit(model, estimate, True, optimum.message, seconds)
    if previous is None:
        raise PurchaseModelError(
            f"{model} fit did not converge ({optimum.message}) and there are no previous "
            "parameters to keep"
        )
    return ModelFit(model, previous, False, optimum.message, seconds)


def predict(summary: pd.DataFrame, estimates: Parameters) -> pd.DataFrame:
    """Per customer of the summary:

    * `p_alive`: BG/NBD P(alive | x, t_x, T), in [0, 1];
    * `expected_orders_90d`: expected purchase days in the next 90 days;
    * `expected_order_value`: Gamma-Gamma conditional expected spend per purchase day (yuan),
      with m taken as at least 0;
    * `clv_365d`: expected purchase days in the next 365 days x expected_order_value, in yuan,
      undiscounted (no discount rate is set by the rules, and one year barely needs one).

    Raises `PurchaseModelError` rather than return a NaN or an infinity.
    """
    bg = estimates.bgnbd.params
    gg = estimates.gamma_gamma.params
    triples = bgnbd.distinct_triples(summary["x"], summary["t_x"], summary["T"])
    per_triple = (triples.x, triples.t_x, triples.T)
    value = gamma_gamma.expected_value(gg, summary["x"], np.maximum(summary["m"], 0.0))
    orders_365 = bgnbd.expected_purchases(bg, HORIZON_CLV_DAYS, *per_triple)[triples.inverse]
    frame = pd.DataFrame({
        "customer_id": summary["customer_id"].to_numpy(),
        "p_alive": bgnbd.p_alive(bg, *per_triple)[triples.inverse],
        "expected_orders_90d":
            bgnbd.expected_purchases(bg, HORIZON_ORDERS_DAYS, *per_triple)[triples.inverse],
        "expected_order_value": np.asarray(value, dtype=float),
        "clv_365d": orders_365 * value,
    })
    _assert_finite(frame)
    return frame


def _assert_finite(frame: pd.DataFrame) -> None:
    for column in PREDICTION_COLUMNS[1:]:
        bad = ~np.isfinite(frame[column].to_numpy())
        if bad.any():
            first = frame["customer_id"].iloc[int(np.argmax(bad))]
            raise PurchaseModelError(
                f"{int(bad.sum())} customers would get a non-finite {column} (first: {first})"
            )


def parameters_frame(result: FitResult, as_of: date) -> pd.DataFrame:
    """One row per model and parameter, in PARAMETER_COLUMNS: the published values (kept
    ones when a fit did not converge, with its log-likelihood and customers), `converged`,
    `fitted_as_of` (the as-of date of the data they were estimated on) and a `note` saying
    why they were kept (null when converged)."""
    rows = [
        {
            "model": f.model,
            "parameter": name,
            "value": float(getattr(f.estimate.params, name)),
            "time_unit": TIME_UNIT,
            "log_likelihood": float(f.estimate.log_likelihood),
            "n_customers": int(f.estimate.n_customers),
            "as_of_date": as_of,
            "converged": f.converged,
            "fitted_as_of": f.fitted_as_of or as_of,
            "note": f.note(),
        }
        for f in result.fits
        for name in f.estimate.params.NAMES
    ]
    frame = pd.DataFrame(rows, columns=list(PARAMETER_COLUMNS))
    return frame.astype({
        "value": "float64", "log_likelihood": "float64", "n_customers": "int64",
        "converged": "bool", "note": "str",
    })


def report(result: FitResult) -> list[str]:
    """One line per model for the run log: the new estimate, or why the previous one was
    kept."""
    lines = []
    for f in result.fits:
        values = ", ".join(f"{name}={getattr(f.estimate.params, name):.4g}"
                           for name in f.estimate.params.NAMES)
        if f.converged:
            lines.append(
                f"{LABELS[f.model]}: fitted on {f.estimate.n_customers:,} customers: {values}; "
                f"log-likelihood {f.estimate.log_likelihood:,.1f} ({f.seconds:.1f}s)"
            )
        else:
            lines.append(f"{LABELS[f.model]}: {f.note()}: {values}")
    return lines


def _estimate_from_rows(frame: pd.DataFrame, model: str) -> Estimate:
    params_class = PARAMS_CLASSES[model]
    rows = frame[frame["model"] == model].set_index("parameter")
    missing = [name for name in params_class.NAMES if name not in rows.index]
    if missing:
        raise PurchaseModelError(f"previous parameters: {model} has no {', '.join(missing)}")
    values = {name: float(rows.at[name, "value"]) for name in params_class.NAMES}
    if not all(np.isfinite(v) for v in values.values()):
        raise PurchaseModelError(f"previous parameters: {model} has a non-finite value")
    first = rows.iloc[0]
    return Estimate(
        params=params_class(**values),
        log_likelihood=float(first["log_likelihood"]),
        n_customers=int(first["n_customers"]),
        fitted_as_of=_as_date(first["fitted_as_of"]),
    )


def _as_date(value) -> date:
    """A date as pandas or DuckDB hand it back (date, datetime, Timestamp or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()
