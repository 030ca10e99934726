"""The class challenge in the engine: who may open it, what a submission is, the budget, the deadline, the ranking
and who may read whose code - each rule checked where it is enforced, whatever a page shows."""

from __future__ import annotations

import pytest

from cnn_core.classroom.challenge import Challenge, ChallengeError, CodeVisibility
from cnn_core.classroom.room import Classroom, ClassroomError
from cnn_core.runs.challenge import ranking, submission_code, submit
from cnn_core.runs.jobs import LocalBackend
from cnn_core.training.comparisons import SEED000_MNIST_CONVNET, SEED000_NO_MAX_POOL, SEED001_MLP
from cnn_core.training.run_store import RunState, RunStore
from tests.test_classroom import KEYS

T0 = 1_800_000_000.0


class Queued(LocalBackend):
    """The local backend without its trainer process: the run stays queued (what is tested here is the launch)."""

    def submit(self, store, run_id):
        pass


@pytest.fixture
def room(env, monkeypatch):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    store = RunStore(env.runs)
    room = Classroom.beside(store.root)
    return store, room, room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "지민"), room.join(KEYS["CNN_CLASSROOM_CLASS_KEY"], "Alex"), room.join(KEYS["CNN_CLASSROOM_LECTURER_KEY"], "Prof")  # fmt: skip


def rules(**changes) -> Challenge:
    values = dict(title="Best MNIST under 200k", dataset="mnist", epochs=2, batch_size=64, limit_per_class=100,
                  max_params=200_000, code_visibility=CodeVisibility.AFTER_DEADLINE)  # fmt: skip
    return Challenge.new(T0, 30, **(values | changes))


def finish(store: RunStore, run_id: str, accuracy: float, params: int, seconds: float) -> None:
    store.writer(run_id).test({"accuracy": accuracy, "loss": 0.1})
    store.set_status(run_id, state=RunState.COMPLETED, params=params, started_at=T0, ended_at=T0 + seconds)


def test_only_the_lecturer_opens_and_closes_a_challenge(room):
    store, classroom, jimin, alex, prof = room
    with pytest.raises(ClassroomError, match="Only the lecturer"):
        classroom.open_challenge(rules(), by=jimin)
    assert classroom.challenge() is None
    opened = classroom.open_challenge(rules(), by=prof)
    assert classroom.challenge() == opened and opened.opened_by == "Prof" and opened.is_open(T0 + 60)
    with pytest.raises(ClassroomError):
        classroom.close_challenge(by=alex, at=T0 + 60)
    assert classroom.close_challenge(by=prof, at=T0 + 60).ended(T0 + 61)


def test_the_rules_are_checked_when_a_challenge_is_made():
    for bad in (dict(title=" "), dict(epochs=0), dict(batch_size=5000), dict(max_params=0), dict(dataset="")):
        with pytest.raises(ChallengeError) as err:
            rules(**bad)
        assert err.value.code == "bad_rules"
    with pytest.raises(ChallengeError):
        Challenge.new(T0, 60 * 24 * 8, **{k: v for k, v in rules().to_dict().items() if k in ("title", "dataset", "epochs", "batch_size", "limit_per_class")})  # fmt: skip


def test_a_submission_is_a_run_of_the_learners_model_with_the_challenges_workload(room):
    store, classroom, jimin, alex, prof = room
    challenge = classroom.open_challenge(rules(), by=prof)
    run_id = submit(store, classroom, SEED000_MNIST_CONVNET, by=jimin, at=T0 + 10, backend=Queued(1))
    record = store.load(run_id)
    assert record.meta["challenge"] == challenge.challenge_id and record.owner["nickname"] == "지민"
    config = record.config
    assert (config.strategy, config.dataset, config.epochs, config.batch_size, config.limit_per_class) == ("own_model", "mnist", 2, 64, 100)  # fmt: skip
    assert config.model_code == SEED000_MNIST_CONVNET and record.status["params"] == 104_202


def test_over_the_budget_after_the_deadline_or_over_the_quota_is_refused(room):
    store, classroom, jimin, alex, prof = room
    classroom.open_challenge(rules(), by=prof)
    with pytest.raises(ChallengeError) as err:
        submit(store, classroom, SEED000_NO_MAX_POOL, by=jimin, at=T0 + 10, backend=Queued(1))
    assert (err.value.code, err.value.details) == ("over_budget", {"received": 712_202, "limit": 200_000})
    for _ in range(2):  # a learner's quota: 1 running + 1 queued
        submit(store, classroom, SEED000_MNIST_CONVNET, by=jimin, at=T0 + 10, backend=Queued(1))
    with pytest.raises(ClassroomError) as err:
        submit(store, classroom, SEED000_MNIST_CONVNET, by=jimin, at=T0 + 10, backend=Queued(1))
    assert err.value.code == "quota"
    with pytest.raises(ChallengeError) as err:
        submit(store, classroom, SEED000_MNIST_CONVNET, by=alex, at=T0 + 31 * 60, backend=Queued(1))
    assert err.value.code == "closed"
    assert len(store.run_ids()) == 2


def test_the_ranking_orders_finished_submissions_within_the_budget(room):
    store, classroom, jimin, alex, prof = room
    challenge = classroom.open_challenge(rules(max_seconds=120), by=prof)
    a = submit(store, classroom, SEED000_MNIST_CONVNET, by=jimin, at=T0 + 10, backend=Queued(1))
    b = submit(store, classroom, SEED001_MLP.replace("512", "128"), by=alex, at=T0 + 20, backend=Queued(1))
    c = submit(store, classroom, SEED000_MNIST_CONVNET, by=alex, at=T0 + 30, backend=Queued(1))
    finish(store, a, 0.95, 104_202, 60)
    finish(store, b, 0.95, 101_770, 50)  # the same accuracy with fewer parameters: ranked first
    finish(store, c, 0.99, 104_202, 300)  # best, but over the 120 s budget: not ranked
    d = submit(store, classroom, SEED000_MNIST_CONVNET, by=jimin, at=T0 + 40, backend=Queued(1))  # still queued
    rows = ranking(store.list(), challenge, prof, runs_hidden=False, at=T0 + 600)
    assert [(r.rank, r.run_id) for r in rows] == [(1, b), (2, a), (None, c), (None, d)]
    assert [r.member for r in rows] == ["Alex", "지민", "Alex", "지민"] and not rows[2].within_budget
    hidden = ranking(store.list(), challenge, prof, runs_hidden=False, hide_names=True, at=T0 + 600)
    assert [r.member for r in hidden] == ["#2", "#1", "#2", "#1"]
    assert [r.run_id for r in ranking(store.list(), challenge, jimin, runs_hidden=True, at=T0 + 600)] == [a, d]
    # the walk-through's defect: with Alex's runs hidden from her, 지민 in second place saw "Rank 1"
    mine = ranking(store.list(), challenge, jimin, runs_hidden=True, hide_names=True, at=T0 + 600)
    assert [(r.rank, r.member) for r in mine] == [(2, "#1"), (None, "#1")]


@pytest.mark.parametrize("visibility", list(CodeVisibility))
def test_who_reads_whose_code_and_when(room, visibility):
    store, classroom, jimin, alex, prof = room
    challenge = classroom.open_challenge(rules(code_visibility=visibility), by=prof)
    run_id = submit(store, classroom, SEED000_MNIST_CONVNET, by=jimin, at=T0 + 10, backend=Queued(1))
    during, after = T0 + 60, T0 + 31 * 60
    assert submission_code(store, run_id, challenge, prof, at=during) == SEED000_MNIST_CONVNET
    assert submission_code(store, run_id, challenge, jimin, at=during) == SEED000_MNIST_CONVNET
    with pytest.raises(ChallengeError) as err:
        submission_code(store, run_id, challenge, alex, at=during)
    assert err.value.code == "code_hidden"
    if visibility == CodeVisibility.AFTER_DEADLINE:
        assert submission_code(store, run_id, challenge, alex, at=after) == SEED000_MNIST_CONVNET
    else:
        with pytest.raises(ChallengeError):
            submission_code(store, run_id, challenge, alex, at=after)
    assert [r.code_visible for r in ranking(store.list(), challenge, alex, False, at=during)] == [False]
