"""Submitting to the class challenge and ranking its submissions.

A submission is an ordinary run of the learner's own model (strategy ``own_model``) with the challenge's data and
workload, so the quotas, the ownership rules and the fair queue of :func:`cnn_core.runs.jobs.launch` apply as to any
run; its ``meta.json`` names the challenge. The ranking orders the finished submissions within the budget by test
accuracy (ties: fewer parameters, then less time); the rest follow, unranked, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cnn_core.classroom.challenge import Challenge, ChallengeError
from cnn_core.classroom.room import Classroom, Identity, may_see
from cnn_core.runs.jobs import launch
from cnn_core.training.custom_model import check_run, model_input_size
from cnn_core.training.run_config import CUSTOM, RunConfig
from cnn_core.training.run_store import RESULT_STATES, RunRecord, RunStore, now


def submission_config(challenge: Challenge, code: str, names_text: str = "", blocks: tuple[str, ...] = ()) -> RunConfig:
    """The run a submission trains: the learner's listing with the challenge's data and workload."""
    return RunConfig(
        strategy=CUSTOM,
        dataset=challenge.dataset,
        image_size=model_input_size(code, names_text, blocks),
        epochs=challenge.epochs,
        batch_size=challenge.batch_size,
        limit_per_class=challenge.limit_per_class,
        name=challenge.title,
        model_code=code,
        model_names=names_text,
        model_blocks=tuple(blocks),
    )


def submit(
    store: RunStore,
    room: Classroom,
    code: str,
    by: Identity,
    names_text: str = "",
    blocks: tuple[str, ...] = (),
    at: float | None = None,
    **launch_options,
) -> str:
    """Launch ``by``'s listing as a submission to the open challenge; returns the run id.

    Refused with :class:`ChallengeError` when no challenge is open (``no_challenge``, ``closed``) or the model is over
    the parameter budget (``over_budget``); with :class:`~cnn_core.training.custom_model.ModelCheckError` when the
    launch check refuses it; with ``ClassroomError`` for the quota or a caller who is not signed in.
    """
    challenge = room.challenge()
    at = now() if at is None else at
    if challenge is None:
        raise ChallengeError("no_challenge", "No challenge is open. Received: none")
    if not challenge.is_open(at):
        raise ChallengeError("closed", f"The challenge {challenge.title!r} has ended. Received: at={at:.0f}", title=challenge.title)  # fmt: skip
    config = submission_config(challenge, code, names_text, blocks)
    check = check_run(config)
    check.raise_first()
    if challenge.max_params is not None and check.report.total_params > challenge.max_params:
        raise ChallengeError(
            "over_budget",
            f"The challenge allows {challenge.max_params} parameters. Received: {check.report.total_params}",
            received=check.report.total_params,
            limit=challenge.max_params,
        )
    return launch(store, config, name=challenge.title, owner=by, challenge=challenge.challenge_id, **launch_options)


@dataclass(frozen=True)
class Submission:
    """One row of the challenge's board. ``rank`` is ``None`` for a run not finished or over the budget."""

    rank: int | None
    run_id: str
    member: str
    member_id: str
    state: str
    params: int | None
    seconds: float | None
    test_accuracy: float | None
    within_budget: bool
    code_visible: bool


def ranking(
    records: Iterable[RunRecord],
    challenge: Challenge,
    viewer: Identity,
    runs_hidden: bool,
    hide_names: bool = False,
    at: float | None = None,
) -> list[Submission]:
    """The challenge's submissions the viewer may see: ranked ones first (best test accuracy, then fewer parameters,
    then less time), then the rest in the order they were submitted.

    ``records`` are every run of the class, not only those the viewer may see: a rank (and a member's ``#n``) is a
    place among *all* submissions, whatever the lecturer hides (a learner in second place sees "2" even when the
    winner's run is hidden from them); only the rows the viewer may see are returned."""
    at = now() if at is None else at
    mine = [r for r in records if r.meta.get("challenge") == challenge.challenge_id and r.config]
    mine.sort(key=lambda r: (r.status.get("created_at", 0), r.run_id))
    numbers: dict[str, int] = {}
    rows = []
    for r in mine:
        owner = r.owner
        number = numbers.setdefault(owner["id"], len(numbers) + 1)
        params, seconds = r.status.get("params"), r.seconds(at)
        accuracy = (r.test or {}).get("accuracy") if r.state in RESULT_STATES else None
        rows.append(
            Submission(
                rank=None,
                run_id=r.run_id,
                member=f"#{number}" if hide_names else (owner.get("nickname") or "–"),
                member_id=owner["id"],
                state=str(r.state),
                params=params,
                seconds=seconds,
                test_accuracy=accuracy,
                within_budget=challenge.within_budget(params, seconds),
                code_visible=challenge.code_visible(
                    viewer.member_id, viewer.is_lecturer or viewer.is_solo, owner["id"], at
                ),  # fmt: skip
            )
        )
    ranked = sorted(
        (row for row in rows if row.test_accuracy is not None and row.within_budget),
        key=lambda row: (-row.test_accuracy, row.params or 0, row.seconds or 0),
    )
    ranked = [Submission(**{**row.__dict__, "rank": i}) for i, row in enumerate(ranked, start=1)]
    ordered = ranked + [row for row in rows if row.run_id not in {r.run_id for r in ranked}]
    visible = {r.run_id for r in mine if may_see(viewer, r.meta, runs_hidden)}
    return [row for row in ordered if row.run_id in visible]


def submission_code(
    store: RunStore, run_id: str, challenge: Challenge, viewer: Identity, at: float | None = None
) -> str:
    """A submission's listing, if ``viewer`` may read it now (:meth:`Challenge.code_visible`); else ``code_hidden``."""
    record = store.load(run_id)
    if record.meta.get("challenge") != challenge.challenge_id or record.config is None:
        raise ChallengeError("code_hidden", f"Not a submission to this challenge. Received: run_id={run_id}")
    at = now() if at is None else at
    if not challenge.code_visible(viewer.member_id, viewer.is_lecturer or viewer.is_solo, record.owner["id"], at):
        raise ChallengeError(
            "code_hidden",
            f"This submission's code is not shown to other learners{' yet' if challenge.code_visibility == 'after_deadline' else ''}. Received: run_id={run_id}",  # noqa: E501
            visibility=str(challenge.code_visibility),
        )
    return record.config.model_code
