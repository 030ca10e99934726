"""Class board: every learner's runs in one table and one chart, against the book's results."""

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnn_core.runs.board import accuracy_axis, board_csv, board_rows
from cnn_core.training.registry import STRATEGIES
from ui.accessibility import show_chart
from ui.challenge import challenge_section
from ui.classroom import classroom, me
from ui.common import current_language, labeler, t
from ui.follow import follow_mode_notice
from ui.lecture import chart_height
from ui.training import COLOURS, all_dataset_choices, format_seconds, runs_now
from ui.url_state import Flag, Many, publish, restore

ALL_STRATEGIES = tuple(STRATEGIES)
URL_STATE = {"board_strategies": Many(len(ALL_STRATEGIES)), "board_hide_names": Flag()}
restore("board", URL_STATE)
st.title(t("board.title"))
st.caption(t("board.intro"))
follow_mode_notice(me())
if "board_strategies" in st.session_state:  # a link may name strategies this version does not have
    st.session_state["board_strategies"] = [s for s in st.session_state["board_strategies"] if s in ALL_STRATEGIES]
c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
chosen = c1.multiselect(
    t("board.strategies"), ALL_STRATEGIES, key="board_strategies", format_func=labeler("strategies."),
    placeholder=t("board.all_strategies"),
)  # fmt: skip
hide_names = c2.toggle(t("board.hide_names"), key="board_hide_names", help=t("board.hide_names_help"))
publish(URL_STATE)

store, records = runs_now()
if not me().is_solo:  # the class challenge is class work
    challenge_section(store, records, classroom().runs_hidden, hide_names, all_dataset_choices(current_language()))
rows = board_rows(records, me(), classroom().runs_hidden, hide_names, chosen)
if not rows:
    st.info(t("board.empty"))
    st.stop()

members = len({r.member for r in rows})
finished = [r for r in rows if r.test_accuracy is not None]
m1, m2, m3 = st.columns(3)
m1.metric(t("board.members"), members)
m2.metric(t("board.runs"), len(rows))
m3.metric(t("board.finished"), len(finished))

table = pd.DataFrame(
    {
        t("board.col_member"): [r.member for r in rows],
        t("runs.col_strategy"): [t(f"strategies.{r.strategy}") for r in rows],
        t("runs.col_status"): [t(f"states.{r.state}") for r in rows],
        t("runs.col_params"): pd.array([r.params for r in rows], dtype="Int64"),
        t("runs.col_best_val"): pd.array([r.best_val_accuracy for r in rows], dtype="Float64"),
        t("runs.col_test"): pd.array([r.test_accuracy for r in rows], dtype="Float64"),
        t("board.col_book"): ["–" if r.book_accuracy is None else f"{r.book_accuracy:.1%}" for r in rows],  # own: none
        t("runs.col_duration"): [format_seconds(r.seconds) for r in rows],
    }
)
percent = st.column_config.NumberColumn(format="percent")
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={t("runs.col_best_val"): percent, t("runs.col_test"): percent},
)
st.download_button(t("board.download_csv"), board_csv(rows), "class-board.csv", "text/csv", key="board_csv")

shown = [s for s in ALL_STRATEGIES if any(r.strategy == s for r in rows)]
fig = go.Figure()
for i, strategy in enumerate(shown):
    book = STRATEGIES[strategy].book_accuracy
    if not math.isnan(book):  # a learner's own model has no book figure
        fig.add_shape(type="rect", x0=i - 0.4, x1=i + 0.4, y0=book - 0.01, y1=book + 0.01, fillcolor="#c8e6c9",
                      opacity=0.7, line_width=0, layer="below")  # fmt: skip
    points = [r for r in rows if r.strategy == strategy and r.accuracy is not None]
    fig.add_trace(
        go.Scatter(
            x=[i + (j - (len(points) - 1) / 2) * min(0.6 / max(len(points), 1), 0.08) for j in range(len(points))],
            y=[r.accuracy for r in points],
            mode="markers",
            marker={"size": 11, "color": COLOURS[i % len(COLOURS)], "line": {"width": 1, "color": "black"},
                    "symbol": ["circle" if r.test_accuracy is not None else "circle-open" for r in points]},
            text=[r.member for r in points],
            hovertemplate="%{text}: %{y:.1%}<extra></extra>",
            name=t(f"strategies.{strategy}"),
        )
    )  # fmt: skip
axis = accuracy_axis([r.accuracy for r in rows], [STRATEGIES[s].book_accuracy for s in shown])
fig.update_layout(
    height=chart_height(380), margin={"l": 10, "r": 10, "t": 30, "b": 10}, showlegend=False,
    xaxis={"tickvals": list(range(len(shown))), "ticktext": [t(f"strategies.{s}") for s in shown]},
    yaxis={"title": t("board.accuracy_axis"), "tickformat": axis.tick_format, "range": [axis.low, axis.high]},
)  # fmt: skip
groups = []
for strategy in shown:
    scores = [r.accuracy for r in rows if r.strategy == strategy and r.accuracy is not None]
    if not scores:
        continue
    book = STRATEGIES[strategy].book_accuracy
    values = {"strategy": t(f"strategies.{strategy}"), "count": len(scores), "low": f"{min(scores):.1%}",
              "high": f"{max(scores):.1%}"}  # fmt: skip
    groups.append(
        t("a11y.board_strategy_own", **values)
        if math.isnan(book)
        else t("a11y.board_strategy", **values, book=f"{book:.1%}")
    )
show_chart(fig, key="board_chart", summary=t("a11y.board_summary", strategies="; ".join(groups) or "–"))
st.caption(t("board.chart_note"))
