"""This machine on the training lab: its calibration ("this machine: ..."), measuring it at first start and on
demand, and the words for what an estimate stands on."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cnn_core.classroom.room import ClassroomError
from cnn_core.runs.jobs import CalibrationStart, start_calibration
from cnn_core.runs.story import PRESET_MAX_SECONDS, STORY_MAX_SECONDS, SizedPlan, SizedRun, story_rungs
from cnn_core.training.estimate import Estimate, estimate, workload
from cnn_core.training.machine import REFERENCE_MACHINE, Calibration, MachineFolder, this_machine
from cnn_core.training.run_config import RunConfig, apply_preset
from cnn_core.training.run_store import RunStore
from ui.classroom import me
from ui.common import show_error, t
from ui.training import format_seconds


def machine_panel(store: RunStore) -> Calibration | None:
    """This machine's calibration (measured at first start, when no run trains), shown in one line with a button to
    measure again; ``None`` until it is measured (the estimates then say they use the reference machine)."""
    folder = MachineFolder(store.root)
    calibration = folder.load()
    started = start_calibration(store) if calibration is None else CalibrationStart.DONE
    machine = this_machine().describe()
    if calibration is not None:
        probes = calibration.probes
        when = dt.datetime.fromtimestamp(calibration.measured_at).strftime("%Y-%m-%d %H:%M")
        st.caption(
            t(
                "machine.measured",
                machine=machine,
                convnet=f"{probes['book_convnet'].value:,.0f}" if "book_convnet" in probes else "–",
                precision=probes["book_convnet"].precision if "book_convnet" in probes else "–",
                mnist=f"{probes['mnist_convnet'].value:,.0f}" if "mnist_convnet" in probes else "–",
                base=f"{probes['base_forward'].value:,.0f}" if "base_forward" in probes else "–",
                seconds=f"{calibration.seconds:.0f}",
                when=when,
            )
        )
    elif folder.calibrating_pid() or started == CalibrationStart.STARTED:
        st.info(t("machine.measuring", machine=machine))
    else:
        st.caption(t(f"machine.not_measured_{started}", machine=machine, reference=REFERENCE_MACHINE))
    if st.button(t("machine.measure_again"), key="train_calibrate", help=t("machine.measure_again_help")):
        try:
            again = start_calibration(store, again=True, by=me())
        except ClassroomError as err:
            show_error("classroom_errors", err)
        else:
            st.toast(t(f"machine.again_{again}"))
    return calibration


def estimate_basis(expected: Estimate) -> str:
    """What an estimate stands on, for its tooltip: "from 3 runs like this on this machine", ..."""
    return t(f"machine.basis_{expected.basis}", runs=expected.runs, reference=REFERENCE_MACHINE)


def lecture_sizing(sized: SizedRun, chosen: RunConfig, counts, records, calibration: Calibration | None) -> None:
    """What the lab chose for a lecture run on this machine, and why (or that nothing fits the lesson)."""
    budget = f"{PRESET_MAX_SECONDS / 60:g}"
    if not sized.fits:
        st.warning(t("machine.lecture_too_slow", time=format_seconds(sized.estimate.seconds), budget=budget))
        return
    if sized.rung == 0:
        return
    preset = apply_preset(chosen, "lecture")
    n_train, n_validation, n_test = workload(preset, counts)
    preset_time = estimate(preset, n_train, n_validation, records, n_test=n_test, calibration=calibration).seconds
    st.info(
        t(
            "machine.lecture_sized",
            images=sized.config.limit_per_class or t("custom.all_images"),
            epochs=sized.config.effective_epochs,
            time=format_seconds(sized.estimate.seconds),
            preset_images=preset.limit_per_class or t("custom.all_images"),
            preset_epochs=preset.effective_epochs,
            preset_time=format_seconds(preset_time),
            budget=budget,
        )
    )


def story_sizing(sized: SizedPlan) -> None:
    """Which lecture workloads the live story took on this machine, or that none fits the period."""
    total = sum(p.estimate.seconds for p in sized.plan)
    if not sized.fits:
        st.warning(t("machine.story_too_slow", total=format_seconds(total), story=f"{STORY_MAX_SECONDS / 60:g}"))
    elif sized.rung:
        st.caption(
            t(
                "machine.story_sized",
                rung=sized.rung + 1,
                rungs=story_rungs(),
                lesson=f"{PRESET_MAX_SECONDS / 60:g}",
                story=f"{STORY_MAX_SECONDS / 60:g}",
            )
        )
