"""The classroom's rules in the engine: identities, ownership, visibility, the quota and the fair queue."""

import base64
import json

import pytest

from cnn_core.classroom.room import (
    SOLO,
    Action,
    Classroom,
    ClassroomError,
    ClassroomSettings,
    Identity,
    Role,
    authorize,
    may_see,
)
from cnn_core.runs.jobs import launch, queue_order, queue_position, reconcile, stop, wait_seconds
from cnn_core.training.run_config import RunConfig
from cnn_core.training.run_store import ACTIVE_STATES, RunState, RunStore
from tests.helpers import wait_for

TINY = dict(strategy="scratch", dataset="synthetic", image_size=80, batch_size=16)
KEYS = {"CNN_CLASSROOM_CLASS_KEY": "blue-cat-42", "CNN_CLASSROOM_LECTURER_KEY": "lecturer-only-7"}


@pytest.fixture
def classroom_env(monkeypatch):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CNN_CLASSROOM_MAX_RUNNING_PER_LEARNER", raising=False)
    monkeypatch.delenv("CNN_CLASSROOM_MAX_QUEUED_PER_LEARNER", raising=False)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_HOME", str(tmp_path / "home"))
    return RunStore(tmp_path / "runs")


@pytest.fixture
def members(store, classroom_env):
    room = Classroom.beside(store.root)
    return (
        room,
        room.join("blue-cat-42", "지민"),
        room.join("blue-cat-42", "Alex"),
        room.join("lecturer-only-7", "Prof"),
    )


def test_join_gives_roles_by_key_and_refuses_wrong_keys_and_taken_nicknames(members):
    room, a, b, lecturer = members
    assert (a.role, b.role, lecturer.role) == (Role.LEARNER, Role.LEARNER, Role.LECTURER)
    assert a.member_id != b.member_id
    with pytest.raises(ClassroomError) as err:
        room.join("blue-cat-41", "Sam")
    assert err.value.code == "wrong_key"
    with pytest.raises(ClassroomError) as err:
        room.join("blue-cat-42", "alex")  # any case
    assert err.value.code == "nickname_taken"
    for bad in ("", " ", "x" * 25, "<b>me</b>", "../etc"):
        with pytest.raises(ClassroomError) as err:
            room.join("blue-cat-42", bad)
        assert err.value.code == "nickname"
    # the lecturer signs in again from the projector under the same name: the same identity
    assert room.join("lecturer-only-7", "prof") == lecturer


def test_tokens_round_trip_and_resist_forgery(members, store, monkeypatch):
    room, a, _, lecturer = members
    token = room.token_for(a)
    assert room.identity_from_token(token) == a
    # a fresh Classroom object (a restarted server) reads the same secret from disk
    assert Classroom.beside(store.root).identity_from_token(token) == a
    payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = dict(claims, r="lecturer")
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    for bad in (f"{forged_payload}.{signature}", token[:-2] + "xx", "", "a.b.c", None, "x" * 5000):
        assert room.identity_from_token(bad) is None
    # a new class key (next term) signs everybody out
    monkeypatch.setenv("CNN_CLASSROOM_CLASS_KEY", "red-dog-9")
    assert Classroom.beside(store.root).identity_from_token(token) is None
    # solo mode has no tokens at all
    monkeypatch.delenv("CNN_CLASSROOM_CLASS_KEY")
    assert Classroom.beside(store.root).identity_from_token(room.token_for(lecturer)) is None


def test_only_the_owner_or_the_lecturer_may_stop_rename_or_delete(members, store):
    _, a, b, lecturer = members
    run_id = store.create(RunConfig(**TINY), "A's run", owner=a)
    assert store.load(run_id).owner == {"id": a.member_id, "nickname": "지민", "role": "learner"}
    for action in (
        lambda: store.rename(run_id, "mine now", by=b),
        lambda: stop(store, run_id, by=b),
        lambda: store.delete(run_id, by=b),
        lambda: store.rename(run_id, "anonymous", by=SOLO),  # a caller that did not say who asks
    ):
        with pytest.raises(ClassroomError) as err:
            action()
        assert err.value.code in ("not_owner", "signed_out")
    record = store.load(run_id)
    assert record.name == "A's run" and record.state == RunState.QUEUED and not record.stop_requested()
    store.rename(run_id, "A renamed", by=a)
    store.rename(run_id, "lecturer renamed", by=lecturer)
    assert store.load(run_id).name == "lecturer renamed"
    stop(store, run_id, by=lecturer)
    assert store.load(run_id).state == RunState.STOPPED
    store.delete(run_id, by=a)
    assert run_id not in store.run_ids()


def test_authorize_rules_in_solo_mode_and_for_recorded_runs(monkeypatch):
    monkeypatch.delenv("CNN_CLASSROOM_CLASS_KEY", raising=False)
    authorize(SOLO, {"owner": {"id": "someone"}}, Action.DELETE)  # solo: anything goes
    with pytest.raises(ClassroomError) as err:
        authorize(SOLO, {"recorded": True}, Action.RENAME)
    assert err.value.code == "recorded"
    on = ClassroomSettings(class_key="k", lecturer_key="l")
    learner = Identity("m1", "A", Role.LEARNER)
    authorize(learner, {"owner": {"id": "m1"}}, Action.STOP, on)
    with pytest.raises(ClassroomError):
        authorize(learner, {}, Action.STOP, on)  # a run from before the class: the lecturer's (solo) run
    authorize(Identity("m9", "P", Role.LECTURER), {}, Action.DELETE, on)


def test_hidden_runs_are_visible_only_to_their_owner_and_the_lecturer(members, store):
    room, a, b, lecturer = members
    meta = {"owner": a.as_owner()}
    assert may_see(b, meta, runs_hidden=False)
    assert not may_see(b, meta, runs_hidden=True)
    assert may_see(a, meta, runs_hidden=True) and may_see(lecturer, meta, runs_hidden=True)
    assert may_see(b, {"recorded": True}, runs_hidden=True)
    with pytest.raises(ClassroomError) as err:
        room.set_runs_hidden(True, by=a)
    assert err.value.code == "lecturer_only" and not room.runs_hidden
    room.set_runs_hidden(True, by=lecturer)
    assert Classroom.beside(store.root).runs_hidden


def test_a_learners_third_launch_is_refused_and_the_lecturer_has_no_quota(members, store):
    _, a, b, lecturer = members
    from cnn_core.runs.jobs import LocalBackend

    backend = LocalBackend(1)
    first = launch(store, RunConfig(epochs=500, **TINY), "A1", backend=backend, owner=a)
    second = launch(store, RunConfig(epochs=2, **TINY), "A2", backend=backend, owner=a)
    try:
        assert store.load(second).state == RunState.QUEUED
        with pytest.raises(ClassroomError) as err:
            launch(store, RunConfig(epochs=2, **TINY), "A3", backend=backend, owner=a)
        assert err.value.code == "quota"
        assert err.value.details == {"running": 1, "queued": 1, "active": 2}
        assert len(store.run_ids()) == 2  # nothing was created
        with pytest.raises(ClassroomError) as err:
            launch(store, RunConfig(epochs=2, **TINY), "nobody", backend=backend)
        assert err.value.code == "signed_out"
        # B has a quota of their own; the lecturer has none
        b_run = launch(store, RunConfig(epochs=2, **TINY), "B1", backend=backend, owner=b)
        lecturer_runs = [
            launch(store, RunConfig(epochs=2, **TINY), f"L{i}", backend=backend, owner=lecturer) for i in range(3)
        ]
        # the lecturer's runs go first, then B's first run, then A's second
        assert queue_order(store.list()) == [*lecturer_runs, b_run, second]
        # once A's second is stopped, A may launch again
        stop(store, second, by=a)
        third = launch(store, RunConfig(epochs=2, **TINY), "A3", backend=backend, owner=a)
        assert store.load(third).owner["id"] == a.member_id
    finally:
        for run_id in store.run_ids():
            if store.load(run_id).state in ACTIVE_STATES:
                stop(store, run_id, by=lecturer)
        wait_for(lambda: all(r.state not in ACTIVE_STATES for r in reconcile(store, start_queued=False)), timeout=90)
    assert first in store.run_ids()


def test_quota_is_configurable(store, classroom_env, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_MAX_QUEUED_PER_LEARNER", "0")
    settings = ClassroomSettings.from_env()
    assert settings.max_active == 1
    from cnn_core.classroom.room import check_quota

    learner = Identity("m1", "A", Role.LEARNER)
    check_quota(learner, [{"id": "m2"}], settings)
    with pytest.raises(ClassroomError):
        check_quota(learner, [{"id": "m1"}], settings)


def test_fair_queue_takes_turns_and_the_wait_estimate_adds_up(members, store):
    _, a, b, lecturer = members
    c = Classroom.beside(store.root).join("blue-cat-42", "Chris")
    running = store.create(RunConfig(**TINY), "A running", estimated_seconds=100, owner=a)
    store.set_status(running, state=RunState.RUNNING, started_at=1000.0)
    a2 = store.create(RunConfig(**TINY), "A second", estimated_seconds=60, owner=a)
    b1 = store.create(RunConfig(**TINY), "B first", estimated_seconds=30, owner=b)
    c1 = store.create(RunConfig(**TINY), "C first", estimated_seconds=40, owner=c)
    records = store.list()
    # A launched first, but A already trains: B and C take their turn before A's second run
    assert queue_order(records) == [b1, c1, a2]
    assert queue_position(records, a2) == 3
    # one slot: A's run has 100 - (1040 - 1000) = 60 s left, then B (30), then C (40): A's second waits 130 s
    assert wait_seconds(records, b1, capacity=1, at=1040.0) == pytest.approx(60)
    assert wait_seconds(records, a2, capacity=1, at=1040.0) == pytest.approx(130)
    # two slots: B starts at once, C when B ends (30 s), A's second when A's first ends (60 s)
    assert wait_seconds(records, c1, capacity=2, at=1040.0) == pytest.approx(30)
    assert wait_seconds(records, a2, capacity=2, at=1040.0) == pytest.approx(60)
    assert wait_seconds(records, a2, capacity=None) is None  # Ray: its queue, its estimate
    lecturer_run = store.create(RunConfig(**TINY), "demo", estimated_seconds=20, owner=lecturer)
    assert queue_order(store.list())[0] == lecturer_run


SCHOOL = {"CNN_CLASSROOM_LECTURER_EMAILS": " Prof.Kim@School.example , ta@school.example"}


def test_school_sign_in_settings_from_the_environment():
    settings = ClassroomSettings.from_env(SCHOOL)
    assert settings.lecturer_emails == ("prof.kim@school.example", "ta@school.example")
    assert settings.school_sign_in and settings.enabled and not settings.class_key
    assert not ClassroomSettings.from_env({}).enabled
    assert ClassroomSettings.from_env(SCHOOL).fingerprint != ClassroomSettings.from_env({**SCHOOL, "CNN_CLASSROOM_LECTURER_EMAILS": "ta@school.example"}).fingerprint  # fmt: skip


def test_school_members_keep_one_identity_and_unique_nicknames(tmp_path):
    room = Classroom(tmp_path / ".classroom", ClassroomSettings.from_env(SCHOOL))
    prof = room.join_school("https://idp.example|sub-1", "PROF.KIM@school.example", "Kim Prof")
    assert prof.role == Role.LECTURER and prof.via_school and prof.nickname == "Kim Prof"
    jimin = room.join_school("https://idp.example|sub-2", "jimin@school.example", "지민")
    other_jimin = room.join_school("https://idp.example|sub-3", "jimin2@school.example", "지민")
    assert (jimin.role, other_jimin.nickname) == (Role.LEARNER, "지민 2")
    again = room.join_school("https://idp.example|sub-2", "jimin@school.example", "A new display name")
    assert again == jimin  # the same member on every visit, under the nickname the class knows
    no_name = room.join_school("https://idp.example|sub-4", "alex_b@school.example", "<script>")
    assert no_name.nickname == "script"
    from_email = room.join_school("https://idp.example|sub-5", "alex.b@school.example", "")
    assert from_email.nickname == "alex.b"
    assert room.identity_from_token(room.token_for(jimin)) == jimin
    with pytest.raises(ClassroomError) as err:
        Classroom(tmp_path / "other", ClassroomSettings.from_env({})).join_school("x|y", "a@b", "A")
    assert err.value.code == "school_off"


def test_a_lecturer_email_added_later_makes_a_member_the_lecturer(tmp_path):
    room = Classroom(tmp_path / ".classroom", ClassroomSettings.from_env(SCHOOL))
    ta = room.join_school("idp|sub-9", "new.ta@school.example", "New TA")
    assert ta.role == Role.LEARNER
    wider = {"CNN_CLASSROOM_LECTURER_EMAILS": SCHOOL["CNN_CLASSROOM_LECTURER_EMAILS"] + ",new.ta@school.example"}
    promoted = Classroom(tmp_path / ".classroom", ClassroomSettings.from_env(wider)).join_school(
        "idp|sub-9", "new.ta@school.example", "New TA"
    )
    assert (promoted.member_id, promoted.nickname, promoted.role) == (ta.member_id, "New TA", Role.LECTURER)
    unverified = room.join_school("idp|sub-10", "prof.kim@school.example", "Not Kim", email_verified=False)
    assert unverified.role == Role.LEARNER  # an email the provider did not verify makes no lecturer


def test_wrong_keys_slow_down_and_never_sign_in_while_a_right_key_elsewhere_works(members):
    """100 wrong keys from one client, each sent as soon as the throttle allows: the waits double after five
    failures (up to 5 minutes), a try inside the wait is refused without looking at the key, nothing signs in; a
    right key from another client works at once, and the guesser's right key works after its wait."""
    from cnn_core.classroom.room import FREE_FAILURES, MAX_WAIT_S, THROTTLE

    room = members[0]
    guesser, other = ["session:guess", "address:10.0.0.9"], ["session:ok", "address:10.0.0.10"]
    at, waits = 1_000.0, []
    for _ in range(100):
        wait = THROTTLE.wait_seconds(guesser, at)
        waits.append(wait)
        at += wait
        with pytest.raises(ClassroomError) as err:
            room.join("lecturer-only-?", "Eve", clients=guesser, at=at)
        assert err.value.code == "wrong_key"
    assert waits[:FREE_FAILURES] == [0.0] * FREE_FAILURES  # five free tries
    assert waits[FREE_FAILURES : FREE_FAILURES + 4] == [1.0, 2.0, 4.0, 8.0] and max(waits) == MAX_WAIT_S
    assert at - 1_000.0 > 100 * 60  # the 100 guesses took over an hour and a half
    with pytest.raises(ClassroomError) as err:
        room.join("lecturer-only-7", "Eve", clients=guesser, at=at + 1)  # even the right key waits its turn
    assert err.value.code == "slow_down" and err.value.details["seconds"] > 0
    assert room.join("blue-cat-42", "Zoe", clients=other, at=at + 1).nickname == "Zoe"  # another client: at once
    assert room.join("lecturer-only-7", "Prof", clients=guesser, at=at + MAX_WAIT_S).is_lecturer
    assert THROTTLE.wait_seconds(guesser, at + MAX_WAIT_S) == 0.0  # a right key clears the count


def test_a_short_lecturer_key_is_refused_at_start_and_at_sign_in(tmp_path):
    import os
    import subprocess
    import sys

    from cnn_core.classroom.room import MIN_LECTURER_KEY, weak_lecturer_key

    env = os.environ | {"CNN_CLASSROOM_CLASS_KEY": "blue-cat-42", "CNN_CLASSROOM_LECTURER_KEY": "prof123"}
    done = subprocess.run([sys.executable, "-m", "cnn_core.classroom.room"], env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "has 7 characters; at least 12 are needed" in done.stdout
    suggested = done.stdout.rsplit("=", 1)[1].strip()
    assert len(suggested) >= MIN_LECTURER_KEY
    strong = env | {"CNN_CLASSROOM_LECTURER_KEY": suggested}
    assert subprocess.run([sys.executable, "-m", "cnn_core.classroom.room"], env=strong, timeout=60).returncode == 0
    room = Classroom(tmp_path, ClassroomSettings("blue-cat-42", "prof123"))
    assert weak_lecturer_key(room.settings)
    with pytest.raises(ClassroomError) as err:
        room.join("prof123", "Prof")
    assert err.value.code == "weak_lecturer_key"
    assert room.join("blue-cat-42", "Ana").role == Role.LEARNER  # the class itself still works


def test_a_second_device_signs_in_with_a_one_time_code_that_expires(members):
    room, jimin, alex, prof = members
    code, expires = room.device_code(jimin, at=1_000.0)
    assert len(code) == 8 and expires == 1_300.0 and set(code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    assert room.join_with_code(f" {code[:4].lower()}-{code[4:]} ", clients=["session:phone"], at=1_100.0) == jimin
    with pytest.raises(ClassroomError) as err:  # used once
        room.join_with_code(code, clients=["session:phone2"], at=1_101.0)
    assert err.value.code == "bad_code"
    late, _ = room.device_code(jimin, at=2_000.0)
    with pytest.raises(ClassroomError):  # expired
        room.join_with_code(late, at=2_301.0)
    with pytest.raises(ClassroomError) as err:  # a nickname is no identity: only a signed-in member makes a code
        room.device_code(Identity("made-up", "지민", Role.LEARNER))
    assert err.value.code == "signed_out"
    with pytest.raises(ClassroomError):
        room.device_code(SOLO)
    guesser = ["session:guess"]
    for _ in range(5):
        with pytest.raises(ClassroomError):
            room.join_with_code("AAAAAAAA", clients=guesser, at=3_000.0)
    fresh, _ = room.device_code(alex, at=3_000.0)
    with pytest.raises(ClassroomError) as err:  # wrong codes count toward the same throttle as wrong keys
        room.join_with_code(fresh, clients=guesser, at=3_000.5)
    assert err.value.code == "slow_down"


def test_the_one_time_codes_lifetime_is_a_setting_within_bounds():
    assert ClassroomSettings.from_env({}).device_code_seconds == 300.0
    assert ClassroomSettings.from_env({"CNN_CLASSROOM_DEVICE_CODE_SECONDS": "12"}).device_code_seconds == 12.0
    assert ClassroomSettings.from_env({"CNN_CLASSROOM_DEVICE_CODE_SECONDS": "1"}).device_code_seconds == 5.0
    assert ClassroomSettings.from_env({"CNN_CLASSROOM_DEVICE_CODE_SECONDS": "86400"}).device_code_seconds == 3600.0
    assert ClassroomSettings.from_env({"CNN_CLASSROOM_DEVICE_CODE_SECONDS": "soon"}).device_code_seconds == 300.0
