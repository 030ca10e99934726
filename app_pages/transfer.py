"""Transfer-learning guide (seed 003): data size x domain similarity -> what to freeze, how much to fine-tune."""

import streamlit as st

from cnn_core.concepts.transfer_guide import SCENARIOS, choose_scenario
from cnn_core.training.registry import get_strategy
from ui.common import labeler, t
from ui.url_state import Choice, publish, restore

URL_STATE = {"transfer_size": Choice(("small", "large")), "transfer_domain": Choice(("similar", "different"))}

restore("transfer", URL_STATE)
st.title(t("transfer.title"))
st.caption(t("transfer.intro"))
c1, c2 = st.columns(2)
size = c1.radio(t("transfer.size"), ["small", "large"], key="transfer_size", format_func=labeler("transfer.size_"))
domain = c2.radio(
    t("transfer.domain"), ["similar", "different"], key="transfer_domain", format_func=labeler("transfer.domain_")
)
scenario = choose_scenario(size, domain)

cells = []
for row_domain in ("similar", "different"):
    row = [f"<th scope='row'>{t(f'transfer.domain_{row_domain}')}</th>"]
    for col_size in ("small", "large"):
        s = SCENARIOS[(col_size, row_domain)]
        chosen = s == scenario
        style = "background:#fff3cd;color:#000;border:3px solid #ef6c00;" if chosen else ""
        row.append(
            f'<td class="{"chosen" if chosen else ""}" style="{style}padding:.6rem;vertical-align:top"><b>{t("transfer.scenario_n", n=s.number)}</b><br>{t(f"transfer.short_{s.number}")}</td>'
        )
    cells.append("<tr>" + "".join(row) + "</tr>")
corner = f"<th scope='col'>{t('transfer.corner')}</th>"
header = (
    f"<tr>{corner}" + "".join(f"<th scope='col'>{t(f'transfer.size_{c}')}</th>" for c in ("small", "large")) + "</tr>"
)
st.markdown(
    f'<table style="width:100%;border-collapse:collapse" class="transfer-matrix">{header}{"".join(cells)}</table>',
    unsafe_allow_html=True,
)

st.header(t("transfer.scenario_n", n=scenario.number))
st.markdown(t(f"transfer.advice_{scenario.number}"))
low, high = scenario.frozen_fraction
m1, m2, m3 = st.columns(3)
m1.metric(t("transfer.frozen"), f"{low:.0%}" if low == high else f"{low:.0%}–{high:.0%}")
m2.metric(
    t("transfer.base_lr"),
    f"{scenario.base_learning_rate:g}" if scenario.base_learning_rate else t("transfer.frozen_lr"),
)
m3.metric(t("transfer.head_lr"), f"{scenario.head_learning_rate:g}")
st.caption(t("transfer.lr_note"))


def open_lab() -> None:
    entry = get_strategy(scenario.strategy)
    st.session_state["train_strategy"] = entry.continues or entry.name  # fine-tuning starts with the run it continues
    st.session_state["train_preset"] = "book"


if st.button(t("transfer.open_lab"), key="transfer_open_lab", type="primary", on_click=open_lab):
    st.switch_page("app_pages/train.py")
st.caption(t("transfer.open_lab_note") if get_strategy(scenario.strategy).continues else "")

publish(URL_STATE)
