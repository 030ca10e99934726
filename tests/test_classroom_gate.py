"""The whole app in classroom mode (AppTest of app.py): nobody reaches a page without joining; the sidebar shows
who is signed in; the lecturer's switches; solo mode has none of it."""

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.classroom.room import Classroom
from tests.helpers import ROOT, assert_clean

KEYS = {"CNN_CLASSROOM_CLASS_KEY": "blue-cat-42", "CNN_CLASSROOM_LECTURER_KEY": "lecturer-only-7"}


@pytest.fixture
def classroom(classroom_env):
    return Classroom.beside(classroom_env)


def app(lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def join(at: AppTest, key: str, nickname: str) -> AppTest:
    at.text_input(key="classroom_key").set_value(key)
    at.text_input(key="classroom_nickname").set_value(nickname)
    return at.button(key="classroom_join_submit").click().run()


def test_nothing_but_the_join_form_before_signing_in(classroom):
    at = app()
    assert_clean(at)
    assert [t.value for t in at.title] == ["Join the class"]
    at = join(at, "not-the-key", "Ana")
    assert any("not this class's key" in e.value for e in at.error)
    assert [t.value for t in at.title] == ["Join the class"]
    at = join(at, KEYS["CNN_CLASSROOM_CLASS_KEY"], "<b>Ana</b>")
    assert any("A nickname has 1 to 24 characters" in e.value for e in at.error)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_learner_joins_and_sees_the_home_page_and_the_follow_switch(classroom, lang):
    at = join(app(lang), KEYS["CNN_CLASSROOM_CLASS_KEY"], "지민")
    assert_clean(at)
    assert [t.value for t in at.title] != ["Join the class"] and at.title
    signed = [m.value for m in at.sidebar.markdown if "지민" in m.value]
    assert signed and ("learner" in signed[0] or "학습자" in signed[0])
    assert at.toggle(key="follow") is not None
    assert not [t for t in at.toggle if t.key == "classroom_hide_runs"]
    assert classroom.members() and list(classroom.members().values())[0]["nickname"] == "지민"
    # taken nicknames are refused for the next browser
    other = join(app(lang), KEYS["CNN_CLASSROOM_CLASS_KEY"], "지민")
    assert other.error


def test_the_lecturer_gets_the_class_switches_and_no_follow_switch(classroom):
    at = join(app(), KEYS["CNN_CLASSROOM_LECTURER_KEY"], "Prof")
    assert_clean(at)
    assert not [t for t in at.toggle if t.key == "follow"]
    at.toggle(key="classroom_hide_runs").set_value(True).run()
    assert classroom.runs_hidden
    at.button(key="classroom_sign_out").click().run()
    assert [t.value for t in at.title] == ["Join the class"]


def test_solo_mode_has_no_gate(tmp_path, monkeypatch):
    monkeypatch.delenv("CNN_CLASSROOM_CLASS_KEY", raising=False)
    monkeypatch.setenv("CNN_CLASSROOM_RUNS_DIR", str(tmp_path / "runs"))
    at = app()
    assert_clean(at)
    assert "Join the class" not in [t.value for t in at.title]
    assert not [t for t in at.toggle if t.key in ("follow", "classroom_hide_runs")]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_school_sign_in_without_a_provider_says_what_is_missing(classroom_env, monkeypatch, lang):
    """School sign-in switched on (lecturer emails) on a server with no ``[auth]`` in its secrets: the join page
    says so in the member's language, offers no class key (none is set), and lets nobody in."""
    monkeypatch.delenv("CNN_CLASSROOM_CLASS_KEY")
    monkeypatch.delenv("CNN_CLASSROOM_LECTURER_KEY")
    monkeypatch.setenv("CNN_CLASSROOM_LECTURER_EMAILS", "prof.kim@school.example")
    at = app(lang)
    assert_clean(at)
    assert len(at.title) == 1 and not at.text_input
    assert any("[auth]" in w.value for w in at.warning)
    assert "follow" not in [w.key for w in at.sidebar.toggle]
    assert "classroom_sign_out" not in [b.key for b in at.button]


def test_a_browser_that_guesses_keys_is_slowed_down(classroom, monkeypatch):
    from types import SimpleNamespace

    from cnn_core.classroom import room

    clock = SimpleNamespace(time=lambda: 1_000_000.0)  # the tries come within the second, however busy the machine
    monkeypatch.setattr(room, "time", clock)
    at = app()
    for _ in range(5):
        at = join(at, "lecturer-only-1", "Eve")
        assert any("not this class's key" in e.value for e in at.error)
    at = join(at, KEYS["CNN_CLASSROOM_LECTURER_KEY"], "Eve")  # the right key, but this session must wait first
    assert [e.value for e in at.error] == ["Too many wrong keys from here: wait 1 s before the next try."]
    assert [t.value for t in at.title] == ["Join the class"]
    assert join(app(), KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ana").title[0].value != "Join the class"  # another browser


def test_a_second_device_joins_with_a_one_time_code_typed_or_from_the_link(classroom):
    laptop = join(app(), KEYS["CNN_CLASSROOM_CLASS_KEY"], "Ana")
    laptop.button(key="classroom_make_code").click().run()
    assert_clean(laptop)
    code, _ = laptop.session_state["_device_code"]
    assert any(f"**{code[:4]}-{code[4:]}**" in m.value for m in laptop.sidebar.markdown)
    phone = app()
    phone.text_input(key="classroom_code").set_value(f"{code[:4]}-{code[4:]}")
    phone = phone.button(key="classroom_code_submit").click().run()
    assert_clean(phone)
    assert any("Signed in as **Ana**" in m.value for m in phone.sidebar.markdown)
    again = app()
    again.text_input(key="classroom_code").set_value(code)
    again = again.button(key="classroom_code_submit").click().run()
    assert [e.value for e in again.error] == ["That code is unknown, already used or expired. Make a new one on your other device."]  # fmt: skip
    laptop.button(key="classroom_make_code").click().run()
    scanned = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    scanned.session_state["lang"] = "en"
    scanned.query_params["join_code"] = laptop.session_state["_device_code"][0]  # the QR image's link
    scanned = scanned.run()
    assert any("Signed in as **Ana**" in m.value for m in scanned.sidebar.markdown)
    assert "join_code" not in scanned.query_params
