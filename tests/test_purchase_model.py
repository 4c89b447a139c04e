"""The purchase model (rules §7): the day-based customer summary, the BG/NBD and Gamma-Gamma
fits against the published CDNOW estimates, the fallback to previous parameters, and the
predictions, checked against lifetimes' formulas and an independent series."""

from __future__ import annotations

import importlib.metadata
import math
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from scipy.special import gammaln, hyp2f1, logsumexp

from cdp.purchase_model import bgnbd, gamma_gamma, model, optimise
from cdp.purchase_model.bgnbd import BgNbdParams
from cdp.purchase_model.gamma_gamma import GammaGammaParams
from cdp.purchase_model.summary import customer_summary

CDNOW_END = date(1997, 9, 30)
PUBLISHED_BGNBD = {"r": 0.243, "alpha_per_week": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_BGNBD_LL_WEEKS = -9582.4
CDNOW_DAY_PARAMS = BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)


def lifetimes_file(name: str) -> Path:
    """A data file shipped in the lifetimes package, found without importing lifetimes."""
    return Path(importlib.metadata.distribution("lifetimes").locate_file(f"lifetimes/datasets/{name}"))


@pytest.fixture(scope="module")
def cdnow() -> duckdb.DuckDBPyConnection:
    """CDNOW_sample.txt (customer id, customer index, yyyymmdd, quantity, amount) as a table
    of orders, with the sample's customer index kept to join the published summary."""
    columns = ["customer_id", "customer_index", "day", "quantity", "amount"]
    transactions = pd.read_csv(
        lifetimes_file("CDNOW_sample.txt"), sep=r"\s+", header=None, names=columns,
        dtype={"customer_id": str, "day": str},
    )
    conn = duckdb.connect()
    conn.register("transactions", transactions)
    conn.execute("""
        create table orders as
        select customer_id, customer_index, strptime(day, '%Y%m%d')::date as order_date,
               amount::decimal(10, 2) as amount
        from transactions
    """)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def cdnow_summary(cdnow) -> pd.DataFrame:
    return customer_summary(cdnow, "orders", CDNOW_END)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_summary) -> model.FitResult:
    return model.fit(cdnow_summary, previous=None)


def test_cdnow_summary_is_the_published_calibration_data(cdnow, cdnow_summary):
    """The day-based summary is FHL's data: x, and t_x and T over 7 in weeks, and the mean
    repeat spend, as in the summary files shipped with lifetimes (rounded to 2 decimals)."""
    assert len(cdnow_summary) == 2357
    index = cdnow.execute("select distinct customer_id, customer_index from orders").df()
    ours = cdnow_summary.merge(index, on="customer_id")
    published = pd.read_csv(lifetimes_file("cdnow_customers_summary_with_transactions.csv"))
    both = ours.merge(published, left_on="customer_index", right_on="ID", suffixes=("", "_pub"))
    assert len(both) == 2357
    assert (both["x"] == both["x_pub"]).all()
    assert np.abs(both["t_x"] / 7 - both["t_x_pub"]).max() < 0.0051
    assert np.abs(both["T"] / 7 - both["T_pub"]).max() < 0.0051
    assert np.abs(both["m"] - both["zbar"]).max() < 0.0051
    assert both["x"].sum() == 2457 and (both["x"] > 0).sum() == 946


def test_cdnow_estimates_within_1_percent_of_published(cdnow_fit):
    bg, gg = cdnow_fit.bgnbd, cdnow_fit.gamma_gamma
    assert bg.converged and gg.converged
    fitted = bg.estimate.params
    assert fitted.r == pytest.approx(PUBLISHED_BGNBD["r"], rel=0.01)
    assert fitted.alpha / 7 == pytest.approx(PUBLISHED_BGNBD["alpha_per_week"], rel=0.01)
    assert fitted.a == pytest.approx(PUBLISHED_BGNBD["a"], rel=0.01)
    assert fitted.b == pytest.approx(PUBLISHED_BGNBD["b"], rel=0.01)
    assert bg.estimate.n_customers == 2357
    # In weeks each of the 2,457 repeat purchases' densities is 7 times the one in days.
    assert bg.estimate.log_likelihood + 2457 * math.log(7) == pytest.approx(
        PUBLISHED_BGNBD_LL_WEEKS, abs=0.1
    )
    spend = gg.estimate.params
    assert spend.p == pytest.approx(PUBLISHED_GAMMA_GAMMA["p"], rel=0.01)
    assert spend.q == pytest.approx(PUBLISHED_GAMMA_GAMMA["q"], rel=0.01)
    assert spend.gamma == pytest.approx(PUBLISHED_GAMMA_GAMMA["gamma"], rel=0.01)
    assert gg.estimate.n_customers == 946


def test_fit_from_previous_parameters_finds_the_same_estimates(cdnow_summary, cdnow_fit):
    again = model.fit(cdnow_summary, cdnow_fit.parameters(CDNOW_END))
    for before, after in zip(cdnow_fit.fits, again.fits):
        assert after.converged
        assert after.estimate.params.values() == pytest.approx(
            before.estimate.params.values(), rel=1e-4
        )


def test_summary_merges_same_day_orders_and_ignores_later_ones():
    conn = duckdb.connect()
    conn.execute("""
        create table orders as select * from (values
            ('a', date '2026-10-01', 10.00), ('a', date '2026-10-01', 5.00),
            ('a', date '2026-10-05', 20.00), ('a', date '2026-10-05', 4.00),
            ('a', date '2026-10-11', 30.00), ('a', date '2026-11-02', 99.00),
            ('b', date '2026-10-31', 7.50), ('c', date '2026-11-01', 1.00)
        ) as t(customer_id, order_date, amount)
    """)
    summary = customer_summary(conn, "(select * from orders where amount > 0)", date(2026, 10, 31))
    assert summary.to_dict("records") == [
        {"customer_id": "a", "x": 2, "t_x": 10, "T": 30, "m": 27.0},
        {"customer_id": "b", "x": 0, "t_x": 0, "T": 0, "m": 0.0},
    ]
    assert [str(t) for t in summary.dtypes[1:]] == ["int64", "int64", "int64", "float64"]


def degenerate(summary: pd.DataFrame) -> pd.DataFrame:
    """Nobody bought twice: neither likelihood has a maximum."""
    return summary.assign(x=0, t_x=0, m=0.0)


def test_non_converging_fit_keeps_the_previous_parameters(cdnow_summary, cdnow_fit):
    previous = model.Parameters.from_frame(model.parameters_frame(cdnow_fit, CDNOW_END))
    result = model.fit(degenerate(cdnow_summary), previous)
    for fit, before in zip(result.fits, cdnow_fit.fits):
        assert not fit.converged
        assert fit.fitted_as_of == CDNOW_END
        assert fit.estimate.params == before.estimate.params
        assert "at least 10 needed" in fit.message
    frame = model.parameters_frame(result, date(1997, 10, 31))
    assert not frame["converged"].any()
    assert (frame["fitted_as_of"] == CDNOW_END).all()
    assert frame["note"].str.startswith("fit did not converge (").all()
    assert frame["note"].str.endswith("kept the parameters fitted as of 1997-09-30").all()
    assert not frame[["value", "log_likelihood"]].isna().any().any()
    assert all("fit did not converge" in line for line in model.report(result))
    assert np.isfinite(model.predict(degenerate(cdnow_summary), result.estimates).iloc[:, 1:]).all().all()


def test_a_stop_far_from_the_maximum_is_not_a_convergence():
    """L-BFGS-B also stops, and calls it success, when a step lowers the function by less
    than a relative 1e-12: on a function this large that happens with a gradient of 3.
    The equal spends of `test_a_likelihood_without_a_maximum_does_not_converge` reach that
    stop on some CPUs (with a gradient of 0.5), before the walk to the edge of the box."""

    def far(y: np.ndarray) -> tuple[float, np.ndarray]:
        d = y - 1.0
        return 1e13 + d[0] ** 2 + 100 * d[1] ** 2, np.array([2 * d[0], 200 * d[1]])

    optimum = optimise.maximise(far, np.exp([-3.0, -3.0]), np.ones(2), ["a", "b"], n=10)
    assert not optimum.converged
    assert optimum.message.startswith("optimiser stopped short of a maximum")


def test_one_model_can_fall_back_while_the_other_converges(cdnow_summary, cdnow_fit):
    no_spend = cdnow_summary.assign(m=0.0)
    result = model.fit(no_spend, cdnow_fit.parameters(CDNOW_END))
    assert result.bgnbd.converged and result.bgnbd.fitted_as_of is None
    assert not result.gamma_gamma.converged and result.gamma_gamma.fitted_as_of == CDNOW_END
    frame = model.parameters_frame(result, date(1997, 10, 31))
    assert frame.groupby("model")["converged"].all().to_dict() == {
        "bgnbd": True, "gamma_gamma": False,
    }
    assert frame.loc[frame["model"] == "bgnbd", "note"].isna().all()
    assert (frame.loc[frame["model"] == "bgnbd", "fitted_as_of"] == date(1997, 10, 31)).all()


def test_a_likelihood_without_a_maximum_does_not_converge(cdnow_summary, cdnow_fit):
    """Every repeat customer spending the same: no spend heterogeneity to estimate."""
    same_spend = cdnow_summary.assign(m=np.where(cdnow_summary["x"] > 0, 25.0, 0.0))
    result = model.fit(same_spend, cdnow_fit.parameters(CDNOW_END))
    assert result.bgnbd.converged
    assert not result.gamma_gamma.converged
    assert result.gamma_gamma.message.startswith("the likelihood has no maximum: p -> infinity")
    assert result.gamma_gamma.estimate == cdnow_fit.parameters(CDNOW_END).gamma_gamma


@pytest.mark.parametrize("rows", [None, 5])
def test_failed_fit_without_previous_parameters_raises(cdnow_summary, rows):
    summary = degenerate(cdnow_summary) if rows is None else cdnow_summary[cdnow_summary["x"] > 0][:rows]
    with pytest.raises(model.PurchaseModelError) as error:
        model.fit(summary, previous=None)
    assert "bgnbd fit did not converge" in str(error.value)
    assert "no previous parameters" in str(error.value) and "\n" not in str(error.value)


def test_parameters_round_trip_through_duckdb(cdnow_fit):
    frame = model.parameters_frame(cdnow_fit, CDNOW_END)
    assert list(frame.columns) == list(model.PARAMETER_COLUMNS)
    assert frame[["model", "parameter"]].values.tolist() == [
        ["bgnbd", "r"], ["bgnbd", "alpha"], ["bgnbd", "a"], ["bgnbd", "b"],
        ["gamma_gamma", "p"], ["gamma_gamma", "q"], ["gamma_gamma", "gamma"],
    ]
    assert (frame["time_unit"] == "day").all() and frame["converged"].all()
    conn = duckdb.connect()
    conn.register("frame", frame)
    conn.execute("create table parameters as select * from frame")
    types = dict(conn.execute("select column_name, data_type from information_schema.columns").fetchall())
    assert types == {
        "model": "VARCHAR", "parameter": "VARCHAR", "value": "DOUBLE", "time_unit": "VARCHAR",
        "log_likelihood": "DOUBLE", "n_customers": "BIGINT", "as_of_date": "DATE",
        "converged": "BOOLEAN", "fitted_as_of": "DATE", "note": "VARCHAR",
    }
    back = model.Parameters.from_frame(conn.execute("select * from parameters").df())
    assert back == cdnow_fit.parameters(CDNOW_END)


def test_parameters_of_several_dates_are_refused(cdnow_fit):
    frames = [model.parameters_frame(cdnow_fit, d) for d in (CDNOW_END, date(1997, 10, 31))]
    with pytest.raises(model.PurchaseModelError, match="one as-of date"):
        model.Parameters.from_frame(pd.concat(frames))


def test_predictions_are_sane(cdnow_summary, cdnow_fit):
    predictions = model.predict(cdnow_summary, cdnow_fit.estimates)
    assert list(predictions.columns) == list(model.PREDICTION_COLUMNS)
    assert predictions["customer_id"].tolist() == cdnow_summary["customer_id"].tolist()
    assert predictions["p_alive"].between(0, 1).all()
    assert (predictions.loc[cdnow_summary["x"] == 0, "p_alive"] == 1).all()
    assert (predictions[["expected_orders_90d", "expected_order_value", "clv_365d"]] > 0).all().all()
    params = cdnow_fit.bgnbd.estimate.params
    recent, silent = bgnbd.p_alive(params, [20, 20], [270, 100], [272, 272])
    assert silent < recent
    assert bgnbd.p_alive(params, 0, 0, 272) == 1


EXTREME = pd.DataFrame({
    "customer_id": ["new today", "daily buyer", "300 of 365 days", "silent for 65 days",
                    "one repeat, long ago", "two years silent"],
    "x": [0, 364, 300, 300, 1, 5],
    "t_x": [0, 364, 364, 300, 1, 30],
    "T": [0, 364, 365, 365, 365, 730],
    "m": [0.0, 1e4, 0.01, 250.0, 3.0, 80.0],
})


def test_no_nan_on_extreme_customers(cdnow_fit):
    predictions = model.predict(EXTREME, cdnow_fit.estimates)
    values = predictions.drop(columns="customer_id").to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    by_name = predictions.set_index("customer_id")
    assert by_name.at["300 of 365 days", "expected_orders_90d"] > 50
    assert by_name.at["silent for 65 days", "p_alive"] < 1e-10


def test_predict_raises_rather_than_publish_an_infinity(cdnow_fit):
    infinite_mean = model.ModelFit(
        "gamma_gamma", model.Estimate(GammaGammaParams(p=6.0, q=1.0, gamma=15.0), -1.0, 10),
        converged=True, message="converged",
    )
    result = model.FitResult(bgnbd=cdnow_fit.bgnbd, gamma_gamma=infinite_mean)
    with pytest.raises(model.PurchaseModelError, match="non-finite expected_order_value"):
        model.predict(EXTREME, result.estimates)


def series_expected_purchases(params: BgNbdParams, t: float, x: int, t_x: int, T: int) -> float:
    """FHL eq. 10 with 2F1(r + x, b + x; a + b + x - 1; z) summed term by term in log space:
    every term is positive, so the sum cannot cancel or overflow (an independent reference)."""
    r, alpha, a, b = params.values()
    upper1, upper2, lower, z = r + x, b + x, a + b + x - 1, t / (alpha + T + t)
    k = np.arange(20_000)
    log_terms = (gammaln(upper1 + k) - gammaln(upper1) + gammaln(upper2 + k) - gammaln(upper2)
                 - gammaln(lower + k) + gammaln(lower) - gammaln(k + 1) + k * math.log(z))
    log_product = logsumexp(log_terms) + upper1 * math.log1p(-z)
    alive = 1.0
    if x > 0:
        alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    return lower / (a - 1) * -math.expm1(log_product) * alive


CASES = [(90, 0, 0, 0), (90, 0, 0, 272), (90, 2, 30, 200), (1, 5, 100, 300),
         (365, 300, 364, 365), (365, 364, 364, 364), (3650, 300, 300, 300), (3650, 50, 300, 365)]


@pytest.mark.parametrize(("t", "x", "t_x", "T"), CASES)
def test_expected_purchases_against_an_independent_series(t, x, t_x, T):
    ours = float(bgnbd.expected_purchases(CDNOW_DAY_PARAMS, t, x, t_x, T))
    assert ours == pytest.approx(series_expected_purchases(CDNOW_DAY_PARAMS, t, x, t_x, T), rel=1e-8)


def test_the_direct_gauss_function_overflows_where_the_euler_form_does_not():
    r, alpha, a, b = CDNOW_DAY_PARAMS.values()
    x, T, t = 300, 300, 3650
    assert math.isinf(hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
    assert math.isfinite(float(bgnbd.expected_purchases(CDNOW_DAY_PARAMS, t, x, x, T)))


def test_expected_purchases_is_continuous_through_a_equal_to_1():
    values = [
        float(bgnbd.expected_purchases(BgNbdParams(0.25, 30.0, a, 2.5), 90, 2, 30, 200))
        for a in (1 - 1e-4, 1 - 1e-7, 1.0, 1 + 1e-7, 1 + 1e-4)
    ]
    assert all(math.isfinite(v) for v in values)
    assert values[1] == pytest.approx(values[2], rel=1e-6)
    assert values[3] == pytest.approx(values[2], rel=1e-6)
    assert values[0] == pytest.approx(values[2], rel=1e-3)
    assert values[4] == pytest.approx(values[2], rel=1e-3)


def test_formulas_match_lifetimes():
    lifetimes = pytest.importorskip("lifetimes")
    bg = lifetimes.BetaGeoFitter()
    bg.params_ = pd.Series(dict(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426))
    gg = lifetimes.GammaGammaFitter()
    gg.params_ = pd.Series(dict(p=6.25, q=3.74, v=15.44))
    spend = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    for t, x, t_x, T in CASES[:6]:
        assert float(bgnbd.p_alive(CDNOW_DAY_PARAMS, x, t_x, T)) == pytest.approx(
            np.ravel(bg.conditional_probability_alive(x, t_x, T))[0], rel=1e-10
        )
        assert float(bgnbd.expected_purchases(CDNOW_DAY_PARAMS, t, x, t_x, T)) == pytest.approx(
            np.ravel(bg.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T))[0],
            rel=1e-9,
        )
    x, m = pd.Series([0, 1, 2, 30]), pd.Series([0.0, 11.77, 22.35, 40.0])
    assert gamma_gamma.expected_value(spend, x, m) == pytest.approx(
        gg.conditional_expected_average_profit(x, m).to_numpy(), rel=1e-12
    )


def test_analytic_gradients_match_finite_differences(cdnow_summary):
    triples = bgnbd.distinct_triples(cdnow_summary["x"], cdnow_summary["t_x"], cdnow_summary["T"])
    spends = gamma_gamma.distinct_spends(cdnow_summary["x"], cdnow_summary["m"])
    for objective, data, at in [
        (bgnbd._negative_mean_ll, triples, [0.3, 25.0, 0.6, 3.0]),
        (gamma_gamma._negative_mean_ll, spends, [4.0, 3.0, 20.0]),
    ]:
        def value(log_theta, objective=objective, data=data):
            return objective(log_theta, data)[0]

        def gradient(log_theta, objective=objective, data=data):
            return objective(log_theta, data)[1]

        assert check_grad(value, gradient, np.log(at)) < 1e-5


def test_weighting_by_distinct_triples_changes_nothing(cdnow_summary):
    triples = bgnbd.distinct_triples(cdnow_summary["x"], cdnow_summary["t_x"], cdnow_summary["T"])
    assert len(triples.weight) < len(cdnow_summary) and triples.weight.sum() == len(cdnow_summary)
    weighted = bgnbd.log_likelihood(CDNOW_DAY_PARAMS, triples.x, triples.t_x, triples.T, triples.weight)
    plain = bgnbd.log_likelihood(CDNOW_DAY_PARAMS, cdnow_summary["x"], cdnow_summary["t_x"], cdnow_summary["T"])
    assert weighted == pytest.approx(plain, rel=1e-12)
    assert (triples.x[triples.inverse] == cdnow_summary["x"]).all()
    assert (triples.T[triples.inverse] == cdnow_summary["T"]).all()
