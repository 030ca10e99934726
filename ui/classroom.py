"""Who is using this browser: the classroom sign-in, the identity cookie, and the sidebar's member box.

In solo mode (no class key) every session is :data:`~cnn_core.classroom.room.SOLO` and nothing is shown. In
classroom mode a session without a valid identity sees only the join form; the token it gets is kept in the
session and in a ``SameSite=Strict`` cookie (never in the URL), so a reload or a server restart keeps the member
signed in while a shared link carries no identity. The rules themselves live in :mod:`cnn_core.classroom.room`.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import time

import segno
import streamlit as st

from cnn_core.classroom.room import (
    ENV_KEYS,
    SOLO,
    Action,
    Classroom,
    ClassroomError,
    ClassroomSettings,
    Identity,
    authorize,
    visible_to,
)
from cnn_core.core.settings import load_settings
from ui.common import show_error, t
from ui.page_script import page_script

COOKIE = "cnn_classroom"
COOKIE_DAYS = 180
IDENTITY_KEY = "_classroom_identity"
SIGNED_OUT_KEY = "_classroom_signed_out"
TOKEN_KEY = "_classroom_token"

COOKIE_JS = """
<script>
window.parent.document.cookie = %s;
</script>
"""


_ROOMS: dict[tuple[str, ...], Classroom] = {}


JOIN_CODE_PARAM = "join_code"
"""The query parameter of a second device's join link (the one-time code; it leaves the URL once tried)."""


def classroom() -> Classroom:
    """This server's classroom (one object per runs folder and keys: every rerun asks, so it is not rebuilt)."""
    env = tuple(os.environ.get(name, "") for name in ENV_KEYS)
    room = _ROOMS.get(env)
    if room is None:
        room = _ROOMS[env] = Classroom.beside(load_settings().runs_dir, ClassroomSettings.from_env())
    return room


def _write_cookie(value: str, max_age: int) -> None:
    """The identity cookie: ``SameSite=Strict``, and ``Secure`` when the page came over HTTPS (served with TLS)."""
    secure = "; Secure" if (st.context.url or "").startswith("https://") else ""
    cookie = f"{COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Strict{secure}"
    page_script(COOKIE_JS % json.dumps(cookie))


def _cookie_token() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - AppTest and old clients have no cookies
        return None


def school_user() -> dict | None:
    """The school account this browser is signed in with (``st.user``: Streamlit's own signed cookie), if any."""
    try:
        return st.user.to_dict() if st.user.is_logged_in else None
    except Exception:  # noqa: BLE001 - AppTest and servers without [auth] have no signed-in user
        return None


def school_configured() -> bool:
    """Whether the school's identity provider is set up for ``st.login`` (``[auth]`` in ``secrets.toml``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def current_identity() -> Identity | None:
    """This session's member (:data:`SOLO` in solo mode), or ``None`` when nobody has signed in yet."""
    room = classroom()
    if not room.enabled:
        return SOLO
    known = st.session_state.get(IDENTITY_KEY)
    if isinstance(known, Identity):
        return known
    if st.session_state.get(SIGNED_OUT_KEY):
        return None  # the cookie this connection was opened with is gone in the browser
    identity = room.identity_from_token(_cookie_token())
    if identity is not None and identity.via_school and school_user() is None:
        identity = None  # signed out of the school account: Streamlit's cookie is what vouches for school members
    if identity is None and room.settings.school_sign_in:
        identity = _join_school(room)
    if identity is not None:
        st.session_state[IDENTITY_KEY] = identity
    return identity


def _join_school(room: Classroom) -> Identity | None:
    user = school_user()
    if user is None:
        return None
    subject = f"{user.get('iss', '')}|{user.get('sub', '')}" if user.get("sub") else ""
    try:
        verified = user.get("email_verified") is not False  # a provider that says "unverified" makes no lecturer
        return room.join_school(subject, str(user.get("email", "")), str(user.get("name", "")), verified)
    except ClassroomError as err:
        show_error("classroom_errors", err)
        return None


def me() -> Identity:
    """The signed-in member for an action (the gate in ``app.py`` guarantees one outside solo mode)."""
    return current_identity() or SOLO


def other_device(identity: Identity) -> None:
    """A one-time code (and a QR image of the join link carrying it) that signs this member in on another device."""
    st.caption(t("classroom.other_device_intro", minutes=max(1, round(classroom().settings.device_code_seconds / 60))))
    if st.button(t("classroom.make_code"), key="classroom_make_code"):
        st.session_state["_device_code"] = classroom().device_code(identity)
    made = st.session_state.get("_device_code")
    if made is None or made[1] <= time.time():
        return
    code, expires = made
    st.markdown(
        t("classroom.code_shown", code=f"{code[:4]}-{code[4:]}", minutes=max(1, round((expires - time.time()) / 60)))
    )
    origin = st.context.url.split("?")[0].rsplit("/", 1)[0] if st.context.url else ""
    if origin:
        link = f"{origin}/?{JOIN_CODE_PARAM}={code}"
        image = io.BytesIO()
        segno.make(link, error="m").save(image, kind="png", scale=5, border=2)
        st.image(image.getvalue(), caption=t("classroom.code_qr_alt"), alt=t("alt.qr"), width=180)


def join_clients() -> list[str]:
    """Who is trying to join, for the engine's throttle on wrong keys: this browser session and its address."""
    session = st.session_state.setdefault("_join_client", secrets.token_hex(8))
    address = st.context.ip_address
    return [f"session:{session}"] + ([f"address:{address}"] if address else [])


def sign_in_gate() -> Identity:
    """The join form until this session has an identity; returns it (solo mode: at once). Stops the script
    while nobody has signed in, so no page runs for an anonymous visitor of a classroom server."""
    identity = current_identity()
    if identity is not None:
        if not identity.is_solo:
            token = st.session_state.get(TOKEN_KEY) or st.session_state.setdefault(
                TOKEN_KEY, classroom().token_for(identity)
            )
            if _cookie_token() != token:
                _write_cookie(token, COOKIE_DAYS * 86400)  # until the browser sends it back on its next connection
        return identity
    room = classroom()
    holder = st.empty()
    with holder.container():
        st.title(t("classroom.join_title"))
        if room.settings.class_key:
            st.caption(t("classroom.join_intro"))
            with st.form("classroom_join"):
                key = st.text_input(t("classroom.key"), type="password", key="classroom_key", max_chars=200)
                nickname = st.text_input(t("classroom.nickname"), key="classroom_nickname", max_chars=40)
                submitted = st.form_submit_button(t("classroom.join"), type="primary", key="classroom_join_submit")
            if submitted:
                try:
                    identity = room.join(key, nickname, clients=join_clients())
                except ClassroomError as err:
                    show_error("classroom_errors", err)
        if room.settings.class_key:
            with st.form("classroom_code_join"):
                code = st.text_input(t("classroom.code"), key="classroom_code", max_chars=20, value=st.query_params.get(JOIN_CODE_PARAM, ""))  # fmt: skip
                with_code = st.form_submit_button(t("classroom.join_with_code"), key="classroom_code_submit")
            if with_code or (st.query_params.get(JOIN_CODE_PARAM) and identity is None and not st.session_state.get("_code_tried")):  # fmt: skip
                st.session_state["_code_tried"] = True  # a link's code is tried once, then typed
                st.query_params.pop(JOIN_CODE_PARAM, None)
                try:
                    identity = room.join_with_code(code, clients=join_clients())
                except ClassroomError as err:
                    show_error("classroom_errors", err)
        if room.settings.school_sign_in:
            st.caption(t("classroom.school_intro" if room.settings.class_key else "classroom.school_only_intro"))
            if school_configured():
                st.button(
                    t("classroom.school_sign_in"), key="classroom_school_sign_in", on_click=st.login, type="primary"
                )
            else:
                st.warning(t("classroom.school_missing"))
    if identity is None:
        st.stop()
    holder.empty()  # the page runs now, in this same run: the cookie below reaches the browser
    st.session_state[IDENTITY_KEY] = identity
    st.session_state.pop(SIGNED_OUT_KEY, None)
    _write_cookie(classroom().token_for(identity), COOKIE_DAYS * 86400)
    return identity


def member_box(identity: Identity) -> Identity:
    """The sidebar's "signed in as" line, sign-out, and the lecturer's class switches; the identity after them."""
    if identity.is_solo:
        return identity
    box = st.sidebar.container(border=True)
    box.markdown(t("classroom.signed_in", nickname=identity.nickname, role=t(f"classroom.role_{identity.role}")))
    if identity.is_lecturer:
        room = classroom()
        hidden = box.toggle(t("classroom.hide_runs"), value=room.runs_hidden, key="classroom_hide_runs",
                            help=t("classroom.hide_runs_help"))  # fmt: skip
        if hidden != room.runs_hidden:
            try:
                room.set_runs_hidden(hidden, by=identity)
            except ClassroomError as err:
                show_error("classroom_errors", err)
    if not identity.via_school:  # a school account signs in on any device by itself
        with box.expander(t("classroom.other_device")):
            other_device(identity)
    if box.button(t("classroom.sign_out"), key="classroom_sign_out"):
        st.session_state.pop(IDENTITY_KEY, None)
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state[SIGNED_OUT_KEY] = True
        _write_cookie("", 0)
        if identity.via_school:
            st.logout()  # ends the school sign-in too (Streamlit's cookie), or the next visit would sign in again
        return sign_in_gate()  # the join form, in the run that also clears the cookie
    return identity


def visible(records: list) -> list:
    """The runs this member may see (all of them in solo mode, or unless the lecturer hid the class's runs)."""
    return visible_to(records, me(), classroom().runs_hidden)


def allowed(record, action: Action) -> bool:
    """Whether this member may ``action`` the run: only to draw the button; the engine checks again when it is used."""
    if record.is_recorded:
        return False
    try:
        authorize(me(), record.meta, action)
    except ClassroomError:
        return False
    return True


def owner_caption(record) -> str | None:
    """ "Read-only: 지민's run" under a run someone else owns (classroom mode only)."""
    owner, viewer = record.owner, me()
    if viewer.is_solo or viewer.is_lecturer or owner["id"] == viewer.member_id:
        return None
    return t("classroom.read_only", owner=owner.get("nickname") or t("classroom.nobody"))
