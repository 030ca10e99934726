"""School sign-in (``st.login``) against a real OpenID Connect provider: ``oidc-provider-mock``, a provider server
with a login form, run on a local port. The lecturer is whoever signs in with an email in
``CNN_CLASSROOM_LECTURER_EMAILS``; a learner is a learner; both stay signed in across a reload and a server restart
(Streamlit's own signed cookie), and signing out ends the school sign-in too."""

from __future__ import annotations

import os
import re
import textwrap

import pytest

from tests.e2e.conftest import RestartableServer, watch
from tests.ws_client import free_port

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
pytest.importorskip("authlib")

PROF = oidc_provider_mock.User(sub="prof-kim", claims={"email": "Prof.Kim@school.example", "name": "Kim Prof"})
JIMIN = oidc_provider_mock.User(sub="jimin-01", claims={"email": "jimin@school.example", "name": "지민"})


class SchoolServer(RestartableServer):
    def __init__(self, home, provider_port: int) -> None:
        port = free_port()
        secrets = home / "secrets.toml"
        secrets.write_text(
            textwrap.dedent(f"""
            [auth]
            redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
            cookie_secret = "a-long-random-string-only-for-this-test-0123456789"
            client_id = "cnn-classroom"
            client_secret = "school-test-secret"
            server_metadata_url = "http://localhost:{provider_port}/.well-known/openid-configuration"
            """)
        )
        env = os.environ | {
            "CNN_CLASSROOM_HOME": str(home),
            "CNN_CLASSROOM_DATA_DIRS": str(home / "data"),
            "CNN_CLASSROOM_RUNS_DIR": str(home / "runs"),
            "CNN_CLASSROOM_LECTURER_EMAILS": "prof.kim@school.example",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        for name in ("CNN_CLASSROOM_CLASS_KEY", "CNN_CLASSROOM_LECTURER_KEY"):
            env.pop(name, None)
        super().__init__(env, ("--secrets.files", str(secrets)), port)


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    with oidc_provider_mock.run_server_in_thread(user_claims=[PROF, JIMIN]) as provider:
        server = SchoolServer(tmp_path_factory.mktemp("school"), provider.server_port)
        yield server
        server.stop()


def _settled(pg) -> None:
    pg.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)


def _sign_in(browser, school: SchoolServer, sub: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    watch(pg)
    pg.goto(f"{school.url}/runs?lang=en")
    pg.get_by_role("heading", name="Join the class").wait_for(timeout=60_000)
    assert not pg.get_by_label("Class key").count()  # school sign-in only: no class key on this server
    pg.get_by_role("button", name="Sign in with your school account").click()
    pg.locator("input[name=sub]").fill(sub)  # the provider's own login form
    pg.get_by_role("button", name="Authorize").click()
    pg.wait_for_url(f"{school.url}/", timeout=60_000)  # Streamlit brings the browser back to the app's root
    _settled(pg)
    pg.goto(f"{school.url}/runs?lang=en")
    return ctx, pg


def _signed_in_as(pg, text: str) -> None:
    pg.get_by_text(re.compile(re.escape(text))).first.wait_for(timeout=60_000)
    _settled(pg)


def test_school_accounts_give_roles_and_survive_reload_and_restart(browser, school):
    ctx_p, prof = _sign_in(browser, school, PROF.sub)
    _signed_in_as(prof, "Signed in as Kim Prof (lecturer)")
    prof.get_by_text("Hide learners' runs from each other").wait_for(timeout=30_000)
    ctx_j, jimin = _sign_in(browser, school, JIMIN.sub)
    _signed_in_as(jimin, "Signed in as 지민 (learner)")
    jimin.get_by_text("Follow the lecturer").wait_for(timeout=30_000)  # drawn after the lecturer's switches
    assert not jimin.get_by_text("Hide learners' runs from each other").count()

    jimin.reload()
    _signed_in_as(jimin, "Signed in as 지민 (learner)")
    school.restart()
    prof.goto(f"{school.url}/board?lang=en")
    _signed_in_as(prof, "Signed in as Kim Prof (lecturer)")
    assert not prof.get_by_role("heading", name="Join the class").count()
    for pg in (prof, jimin):
        pg.console_errors.clear()  # both pages noticed the server going away during the restart
    stranger = browser.new_context().new_page()  # the lecturer's link in another browser: no identity comes with it
    stranger.goto(prof.url)
    stranger.get_by_role("heading", name="Join the class").wait_for(timeout=60_000)
    stranger.context.close()

    jimin.get_by_role("button", name="Sign out").click()
    # Streamlit ends the sign-in at the provider too (OpenID Connect RP-initiated logout), which asks to confirm
    jimin.get_by_role("button", name="End session").click()
    jimin.wait_for_url(f"{school.url}/", timeout=60_000)
    jimin.goto(f"{school.url}/runs?lang=en")  # a new visit: the school sign-in ended with the class's
    jimin.get_by_role("heading", name="Join the class").wait_for(timeout=60_000)
    _settled(jimin)
    assert not jimin.get_by_text("Signed in as").count()
    for pg in (prof, jimin):
        assert not pg.console_errors, pg.console_errors
    ctx_p.close()
    ctx_j.close()
