"""The report's charts: one Plotly figure per view of the published tables, or, when its
table has no rows yet, a note saying so (the page shows the note instead of an empty chart).

Labels are Chinese where the published tables carry them (`lifecycle_stage_zh`,
`rfm_segment_zh`, `action_zh`, `dimension_value_zh`); the fixed code lists below give the
order and colour of the stages, tiers and statuses, and a label for a stage with no
customer today.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cdp.report.data import RETENTION_COHORTS, TIER_MOVE_DAYS, ReportData

GOOD, BAD, GREY, BLUE = "#2a9d8f", "#e76f51", "#a0a0a0", "#4c78a8"
LIFECYCLE = {
    "introduction": ("引入期", BLUE),
    "growth": ("成长期", "#59a14f"),
    "mature": ("成熟期", GOOD),
    "dormant": ("休眠期", "#e9c46a"),
    "churned": ("流失期", BAD),
}
TIERS = {
    "normal": ("普通", GREY),
    "silver": ("白银", "#9fb4c7"),
    "gold": ("黄金", "#e9c46a"),
    "platinum": ("铂金", "#6d6875"),
}
STATUSES = {
    "issued": ("下发 issued", GOOD),
    "control": ("对照组 control", GREY),
    "deferred": ("顺延 deferred", "#e9c46a"),
    "suppressed": ("免打扰 suppressed", "#b279a2"),
    "unreachable": ("无法触达 unreachable", BAD),
}
CHANNELS = {"miniprogram": "小程序 mini-program (no staff)"}
"""How `tasks_by_staff` names the issued tasks without a WeCom owner: by their channel."""
FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"


@dataclass(frozen=True)
class Chart:
    """One chart of the page: its element id, title, the published table(s) it reads, and
    its figure, or None with `note` saying why there is nothing to draw yet."""

    key: str
    title: str
    source: str
    figure: go.Figure | None
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A heading of the page and its charts."""

    title: str
    charts: list[Chart]


def _layout(figure: go.Figure, height: int = 380, **layout) -> go.Figure:
    figure.update_layout(
        {
            "template": "plotly_white",
            "font": {"family": FONT, "size": 13},
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
            "legend": {"orientation": "h", "y": -0.15},
            **layout,
        }
    )
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    return figure


def _stage_order(stage: str) -> tuple[int, str]:
    """T+0, T+1, T+3, … T>30: by the day a T+ stage starts."""
    number = stage[2:]
    return (int(number) if number.isdigit() else 10**6, stage)


def _lifecycle_daily(data: ReportData, dimension: str) -> pd.DataFrame:
    frame = data["lifecycle_daily"]
    return frame[frame["dimension"] == dimension] if not frame.empty else frame


def _bar_text(values) -> dict:
    return {"text": values, "texttemplate": "%{text:,}"}


def lifecycle_funnel(data: ReportData) -> Chart:
    frame = data["lifecycle"]
    key, title = "lifecycle-funnel", "生命周期漏斗 Lifecycle funnel, today"
    if frame.empty:
        return Chart(key, title, "customer_lifecycle", None, "customer_lifecycle has no rows.")
    counts = dict(zip(frame["stage"], frame["customers"]))
    labels = {s: zh for s, (zh, _) in LIFECYCLE.items()}
    labels |= dict(zip(frame["stage"], frame["stage_zh"]))
    stages = [*LIFECYCLE, *sorted(set(counts) - set(LIFECYCLE))]
    figure = go.Figure(
        go.Funnel(
            y=[labels[s] for s in stages],
            x=[int(counts.get(s, 0)) for s in stages],
            texttemplate="%{value:,} (%{percentTotal:.0%})",
            marker={"color": [LIFECYCLE.get(s, ("", GREY))[1] for s in stages]},
        )
    )
    return Chart(key, title, "customer_lifecycle", _layout(figure))


def _history(data: ReportData, dimension: str, key: str, title: str) -> Chart:
    """Customers per value of one dimension of mart_lifecycle_daily, one line each."""
    frame = _lifecycle_daily(data, dimension)
    if frame.empty:
        return Chart(key, title, "mart_lifecycle_daily", None, "mart_lifecycle_daily has no rows.")
    found = set(frame["dimension_value"])
    if dimension == "lifecycle":
        values = [*(v for v in LIFECYCLE if v in found), *sorted(found - set(LIFECYCLE))]
    else:
        values = sorted(found, key=_stage_order)
    figure = go.Figure()
    for value in values:
        rows = frame[frame["dimension_value"] == value]
        figure.add_trace(
            go.Scatter(
                x=rows["as_of_date"].dt.strftime("%Y-%m-%d"),
                y=rows["customers"],
                name=rows["dimension_value_zh"].iloc[-1] or value,
                mode="lines+markers",
                **({"line": {"color": LIFECYCLE[value][1]}} if value in LIFECYCLE else {}),
            )
        )
    figure = _layout(figure, xaxis={"type": "category", "title": "as-of date of the publish"})
    return Chart(key, title, "mart_lifecycle_daily", figure)


def lifecycle_history(data: ReportData) -> Chart:
    title = "生命周期 Lifecycle stages over the published runs"
    return _history(data, "lifecycle", "lifecycle-history", title)


def journey_today(data: ReportData) -> Chart:
    joined = _lifecycle_daily(data, "journey_stage")
    joined = joined[joined["as_of_date"].dt.date == data.as_of] if not joined.empty else joined
    bought = data["purchase_journey"]
    key, title = "journey-today", "T+ 旅程 Journey stages, today"
    source = "mart_lifecycle_daily, customer_lifecycle"
    if joined.empty and bought.empty:
        return Chart(key, title, source, None, "customer_lifecycle has no rows.")
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=["加入后 since joining", "首购后 since the first order"]
    )
    for column, frame, stage, label in (
        (1, joined, "dimension_value", "dimension_value_zh"),
        (2, bought, "stage", "stage"),
    ):
        if not frame.empty:
            frame = frame.assign(rank=frame[stage].map(_stage_order)).sort_values("rank")
            bars = go.Bar(
                x=frame[label], y=frame["customers"], showlegend=False, marker_color=BLUE,
                **_bar_text(frame["customers"]),
            )
            figure.add_trace(bars, row=1, col=column)
    return Chart(key, title, source, _layout(figure))


def journey_history(data: ReportData) -> Chart:
    title = "T+ 旅程 Journey stages (since joining) over the published runs"
    return _history(data, "journey_stage", "journey-history", title)


def rfm_segments(data: ReportData) -> Chart:
    frame = data["rfm_segments"]
    key, title = "rfm-segments", "RFM 分层 RFM segments"
    if frame.empty:
        return Chart(key, title, "customer_rfm", None, "customer_rfm has no rows.")
    figure = go.Figure(
        go.Bar(
            y=frame["rfm_segment_zh"].fillna(frame["rfm_segment"]), x=frame["customers"],
            orientation="h", marker_color=BLUE, **_bar_text(frame["customers"]),
        )
    )
    margin = {"l": 120, "r": 20, "t": 30, "b": 40}
    figure = _layout(figure, yaxis={"autorange": "reversed"}, margin=margin)
    return Chart(key, title, "customer_rfm", figure)


def rfm_grid(data: ReportData) -> Chart:
    frame = data["rfm_grid"]
    key, title = "rfm-grid", "R × F 矩阵 Customers by recency and frequency score"
    if frame.empty:
        return Chart(key, title, "customer_rfm", None, "customer_rfm has no rows.")
    counts = {(int(r), int(f)): int(n) for r, f, n in frame.itertuples(index=False)}
    figure = go.Figure(
        go.Heatmap(
            z=[[counts.get((r, f), 0) for f in range(1, 6)] for r in range(1, 6)],
            x=[f"F{f}" for f in range(1, 6)],
            y=[f"R{r}" for r in range(1, 6)],
            texttemplate="%{z:,}",
            colorscale="Blues",
            hovertemplate="%{y} %{x}: %{z:,}<extra></extra>",
        )
    )
    figure = _layout(figure, xaxis={"title": "F score"}, yaxis={"title": "R score"})
    return Chart(key, title, "customer_rfm", figure)


def value_tiers(data: ReportData) -> Chart:
    frame = data["tiers"]
    key, title = "value-tiers", "价值等级 Value tiers, today"
    if frame.empty:
        return Chart(key, title, "customer_tier", None, "customer_tier has no rows.")
    counts = dict(zip(frame["value_tier"], frame["customers"]))
    tiers = [*TIERS, *sorted(set(counts) - set(TIERS))]
    customers = [int(counts.get(t, 0)) for t in tiers]
    figure = go.Figure(
        go.Bar(
            x=[TIERS.get(t, (t,))[0] for t in tiers], y=customers,
            marker_color=[TIERS.get(t, ("", GREY))[1] for t in tiers], **_bar_text(customers),
        )
    )
    return Chart(key, title, "customer_tier", _layout(figure))


def _tier(code: str) -> str:
    return TIERS.get(code, (code,))[0]


def tier_moves(data: ReportData) -> Chart:
    frame = data["tier_moves"]
    key, title = "tier-moves", f"等级变动 Tier moves, the last {TIER_MOVE_DAYS} days"
    if frame.empty:
        note = f"No upgrade or downgrade in the last {TIER_MOVE_DAYS} days (a move needs an "
        return Chart(key, title, "customer_tier_history", None, note + "earlier publish).")
    figure = go.Figure()
    changes = (("upgrade", "升级 upgrade", GOOD), ("downgrade", "降级 downgrade", BAD))
    for change, label, colour in changes:
        rows = frame[frame["tier_change"] == change]
        if not rows.empty:
            moves = [
                f"{_tier(a)} → {_tier(b)}"
                for a, b in zip(rows["previous_value_tier"], rows["value_tier"])
            ]
            figure.add_trace(
                go.Bar(
                    x=moves, y=rows["customers"], name=label, marker_color=colour,
                    **_bar_text(rows["customers"]),
                )
            )
    return Chart(key, title, "customer_tier_history", _layout(figure))


def retention(data: ReportData) -> Chart:
    frame = data["retention"]
    key = "retention"
    title = f"留存 Cohort retention (the newest {RETENTION_COHORTS} join months)"
    if frame.empty:
        note = "mart_retention_cohort has no rows."
        return Chart(key, title, "mart_retention_cohort", None, note)
    grid = frame.pivot(index="cohort_month", columns="months_since_join", values="retention_rate")
    sizes = frame.groupby("cohort_month")["cohort_customers"].first()
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(m) for m in grid.columns],
            y=[f"{m:%Y-%m} ({sizes[m]:,})" for m in grid.index],
            colorscale="YlGnBu",
            zmin=0,
            colorbar={"tickformat": ".0%"},
            hovertemplate="joined %{y}, month %{x}: %{z:.1%} bought<extra></extra>",
        )
    )
    figure = _layout(
        figure,
        height=max(380, 22 * len(grid) + 120),
        xaxis={"title": "months since joining", "type": "category"},
        yaxis={"title": "join month (customers)", "autorange": "reversed"},
        margin={"l": 130, "r": 20, "t": 30, "b": 50},
    )
    return Chart(key, title, "mart_retention_cohort", figure)


def _months(frame: pd.DataFrame) -> list[str]:
    return [
        f"{m:%Y-%m}" + (" (to date)" if to_date else "")
        for m, to_date in zip(frame["month"], frame["is_month_to_date"])
    ]


def ltv_levers(data: ReportData) -> Chart:
    frame = data["ltv"]
    key, title = "ltv-levers", "LTV 杠杆 LTV levers by month: 用户基数 × 人均客单价 × 人均购买次数"
    if frame.empty:
        note = "mart_ltv_monthly has no month with orders."
        return Chart(key, title, "mart_ltv_monthly", None, note)
    levers = {
        "customer_base": "用户基数 customer base",
        "average_order_value": "人均客单价 average order value (¥)",
        "orders_per_customer": "人均购买次数 orders per customer",
    }
    figure = make_subplots(
        rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08,
        subplot_titles=list(levers.values()),
    )
    for row, column in enumerate(levers, start=1):
        line = go.Scatter(x=_months(frame), y=frame[column], mode="lines+markers", showlegend=False)
        figure.add_trace(line, row=row, col=1)
    figure.update_xaxes(type="category")
    return Chart(key, title, "mart_ltv_monthly", _layout(figure, height=560))


def ltv_shares(data: ReportData) -> Chart:
    frame = data["ltv"]
    key = "ltv-shares"
    title = "LTV 杠杆贡献 Each lever's share of the revenue change (ln over the month before)"
    changes = {
        "base_log_change": "用户基数 base",
        "aov_log_change": "人均客单价 order value",
        "frequency_log_change": "人均购买次数 orders per customer",
    }
    if frame.empty or frame[list(changes)].isna().all(axis=None):
        note = "No lever change yet: it needs two months with orders."
        return Chart(key, title, "mart_ltv_monthly", None, note)
    months = _months(frame)
    figure = go.Figure([go.Bar(x=months, y=frame[c], name=label) for c, label in changes.items()])
    figure.add_trace(
        go.Scatter(
            x=months, y=frame[list(changes)].sum(axis=1, min_count=len(changes)),
            name="ln 收入比 ln revenue ratio (the sum)", mode="markers",
            marker={"color": "black", "size": 9, "symbol": "diamond"},
        )
    )
    figure = _layout(figure, barmode="relative", xaxis={"type": "category"})
    return Chart(key, title, "mart_ltv_monthly", figure)


def tasks_by_action(data: ReportData) -> Chart:
    frame = data["tasks"]
    key, title = "tasks-by-action", "今日任务 Today's tasks per action, by contact-policy status"
    if frame.empty:
        return Chart(key, title, "customer_actions", None, "customer_actions has no rows today.")
    order = frame.groupby("action")["priority"].min().sort_values().index
    labels = dict(zip(frame["action"], frame["action_zh"]))
    figure = go.Figure()
    for status, (label, colour) in STATUSES.items():
        rows = frame[frame["status"] == status]
        if not rows.empty:
            counts = dict(zip(rows["action"], rows["customers"]))
            customers = [int(counts.get(a, 0)) for a in order]
            figure.add_trace(
                go.Bar(x=[labels[a] for a in order], y=customers, name=label, marker_color=colour)
            )
    return Chart(key, title, "customer_actions", _layout(figure, barmode="stack"))


def tasks_by_staff(data: ReportData) -> Chart:
    frame = data["tasks_by_staff"]
    key, title = "tasks-by-staff", "今日下发 Today's issued tasks per staff member, by action"
    if frame.empty:
        return Chart(key, title, "customer_actions", None, "No task issued today.")
    staff = sorted(set(frame["staff"]), key=lambda s: (s in CHANNELS, s))
    figure = go.Figure()
    for action, rows in frame.groupby("action_zh"):
        counts = dict(zip(rows["staff"], rows["customers"]))
        customers = [int(counts.get(s, 0)) for s in staff]
        figure.add_trace(go.Bar(x=[CHANNELS.get(s, s) for s in staff], y=customers, name=action))
    return Chart(key, title, "customer_actions", _layout(figure, barmode="stack"))


def outcomes(data: ReportData) -> Chart:
    frame = data["outcomes"]
    key, title = "outcomes", "任务效果 What the tasks earned: 14-day conversion, issued against control"
    if frame.empty:
        note = "mart_action_outcomes has no rows: an issue date's outcome is final 14 days later."
        return Chart(key, title, "mart_action_outcomes", None, note)
    figure = go.Figure()
    for group, label, colour in (("issued", "下发组 issued", GOOD), ("control", "对照组 control", GREY)):
        customers = frame[group].astype(float)
        rate = (frame[f"{group}_converted"] / customers.where(customers > 0)).astype(float)
        figure.add_trace(
            go.Bar(
                x=frame["action_zh"], y=rate, name=label, marker_color=colour,
                text=rate, texttemplate="%{text:.1%}", customdata=frame[group],
                hovertemplate="%{x}: %{y:.1%} of %{customdata:,}<extra>" + label + "</extra>",
            )
        )
    first, last = frame["first_issue_date"].min(), frame["last_issue_date"].max()
    title += f" (issued {first:%Y-%m-%d} … {last:%Y-%m-%d})"
    figure = _layout(figure, barmode="group", yaxis={"tickformat": ".0%"})
    return Chart(key, title, "mart_action_outcomes", figure)


def gate_suites(data: ReportData) -> Chart:
    key, title = "gate", "质量闸门 The quality gate of the run: expectations per suite"
    results = (data.gate or {}).get("results", [])
    if not results:
        return Chart(key, title, "the gate report", None, "No gate report for this run.")
    figure = go.Figure()
    for passed, label, colour in ((True, "passed", GOOD), (False, "failed", BAD)):
        rows = [r for r in results if r["passed"] is passed]
        if rows:
            figure.add_trace(
                go.Bar(
                    y=[f"{r['kind']}: {r['target']}" for r in rows],
                    x=[r["evaluated"] for r in rows],
                    orientation="h", name=label, marker_color=colour,
                )
            )
    figure = _layout(
        figure,
        height=22 * len(results) + 120,
        yaxis={"autorange": "reversed"},
        xaxis={"title": "expectations evaluated"},
        margin={"l": 260, "r": 20, "t": 30, "b": 50},
    )
    return Chart(key, title, "gate/<run id>.json", figure)


def sections(data: ReportData) -> list[Section]:
    """Every chart of the page, in its sections, in page order."""
    return [
        Section(
            "生命周期 Lifecycle",
            [lifecycle_funnel(data), lifecycle_history(data), journey_today(data),
             journey_history(data)],
        ),
        Section(
            "分层与等级 Segments and tiers",
            [rfm_segments(data), rfm_grid(data), value_tiers(data), tier_moves(data)],
        ),
        Section("留存与 LTV Retention and LTV", [retention(data), ltv_levers(data), ltv_shares(data)]),
        Section(
            "今日任务 Today's tasks", [tasks_by_action(data), tasks_by_staff(data), outcomes(data)]
        ),
        Section("质量闸门 Quality gate", [gate_suites(data)]),
    ]
