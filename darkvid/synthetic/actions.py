"""The eleven ARID actions as motion programs: the class is in how the joints move over time.

Each program maps (frames, ActionParams) to a Motion. Cyclic actions (Walk, Run, Jump, Wave,
Push, Drink) repeat at a cadence scaled by the tempo; one-shot actions (Pick, Pour, Sit, Stand,
Turn) run inside a window whose length shrinks with the tempo and whose start is set by the phase.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from darkvid.synthetic.skeleton import BODY, Motion, Pose, kinematics

CLASS_NAMES = ("Drink", "Jump", "Pick", "Pour", "Push", "Run", "Sit", "Stand", "Turn", "Walk", "Wave")
WALK_CYCLES = 2.0  # gait cycles per clip at tempo 1
RUN_CYCLES = 3.4


@dataclass(frozen=True)
class ActionParams:
    """Nuisance settings of one performance."""

    tempo: float = 1.0  # speed multiplier of the action
    phase: float = 0.0  # in [0, 1): cycle offset, or where the one-shot window starts
    hand: int = 1  # arm used by one-arm actions: 0 left, 1 right
    carry_cup: bool = False  # distractor: a cup held in a class where it means nothing
    chair: bool = False  # distractor: a chair stands behind an actor who never sits


def sample_action_params(rng: np.random.Generator) -> ActionParams:
    """Draw tempo, phase, arm and distractor props for one video."""
    return ActionParams(
        tempo=float(rng.uniform(0.8, 1.25)),
        phase=float(rng.uniform(0.0, 1.0)),
        hand=int(rng.integers(0, 2)),
        carry_cup=bool(rng.random() < 0.15),
        chair=bool(rng.random() < 0.15),
    )


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _clock(frames: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, frames)


def _window(frames: int, p: ActionParams, length: float) -> np.ndarray:
    """Linear progress 0 -> 1 of a one-shot action inside the clip."""
    dur = min(0.95, length / p.tempo)
    start = p.phase * (1.0 - dur)
    return np.clip((_clock(frames) - start) / dur, 0.0, 1.0)


def _angle(frames: int, p: ActionParams, cycles: float) -> np.ndarray:
    return 2.0 * np.pi * (cycles * p.tempo * _clock(frames) + p.phase)


def _arm(m: Motion, side: int, up: np.ndarray, fore: np.ndarray, out: float | np.ndarray) -> None:
    m.arm_up[:, side] = up
    m.arm_fore[:, side] = fore
    m.arm_out[:, side] = out


def _gait(frames: int, p: ActionParams, cycles: float, swing: float, bend: float, offset: float) -> Motion:
    """Alternating legs: thighs swing, the knee bends while its leg moves forward."""
    m = Motion.standing(frames)
    ang = _angle(frames, p, cycles)
    for side, shift in ((0, 0.0), (1, np.pi)):
        m.thigh[:, side] = offset + swing * np.sin(ang + shift)
        m.shin[:, side] = m.thigh[:, side] - bend * np.maximum(np.cos(ang + shift), 0.0) - 0.05
    return m


def walk(frames: int, p: ActionParams) -> Motion:
    m = _gait(frames, p, WALK_CYCLES, swing=0.38, bend=0.55, offset=0.0)
    ang = _angle(frames, p, WALK_CYCLES)
    for side, shift in ((0, np.pi), (1, 0.0)):
        _arm(m, side, 0.3 * np.sin(ang + shift), 0.3 * np.sin(ang + shift) + 0.25, 0.1)
    m.lean[:] = 0.05
    m.travel[:] = 0.25 * WALK_CYCLES * p.tempo * _clock(frames)
    return m


def run(frames: int, p: ActionParams) -> Motion:
    m = _gait(frames, p, RUN_CYCLES, swing=0.65, bend=1.4, offset=0.15)
    ang = _angle(frames, p, RUN_CYCLES)
    for side, shift in ((0, np.pi), (1, 0.0)):
        up = 0.6 * np.sin(ang + shift)
        _arm(m, side, up, up + 1.5, 0.1)
    m.lean[:] = 0.28
    m.lift[:] = 0.05 * np.maximum(np.sin(2.0 * ang), 0.0)  # flight phase between steps
    m.travel[:] = 0.22 * RUN_CYCLES * p.tempo * _clock(frames)
    return m


def jump(frames: int, p: ActionParams) -> Motion:
    m = Motion.standing(frames)
    ph = (1.5 * p.tempo * _clock(frames) + p.phase) % 1.0
    crouch = np.interp(ph, [0.0, 0.25, 0.38, 0.75, 0.85, 1.0], [0.0, 1.0, 0.0, 0.0, 0.8, 0.0])
    flight = np.where((ph > 0.38) & (ph < 0.75), np.sin(np.pi * (ph - 0.38) / 0.37), 0.0)
    m.thigh[:] = (0.9 * crouch + 0.35 * flight)[:, None]
    m.shin[:] = (-0.6 * crouch - 0.3 * flight)[:, None]
    m.lean[:] = 0.45 * crouch
    m.lift[:] = 0.25 * flight
    arm = -0.7 * crouch + 2.6 * flight
    for side in (0, 1):
        _arm(m, side, arm, arm + 0.2, 0.3)
    return m


def pick(frames: int, p: ActionParams) -> Motion:
    m = Motion.standing(frames)
    prog = _window(frames, p, 0.65)
    down = np.sin(np.pi * prog)
    m.lean[:] = 1.2 * down
    m.thigh[:] = (0.55 * down)[:, None]
    m.shin[:] = (-0.45 * down)[:, None]
    for side in (0, 1):
        _arm(m, side, 0.08 + 0.35 * down, 0.2 + 0.25 * down, 0.15)
    m = dataclasses.replace(m, box=np.array([0.32, 0.05, 0.12, 0.1]))
    m.box_follow[:] = (prog >= 0.5)[:, None].astype(float)
    return m


def push(frames: int, p: ActionParams) -> Motion:
    m = _gait(frames, p, 1.2, swing=0.3, bend=0.4, offset=-0.1)
    ang = _angle(frames, p, 1.2)
    flex = 0.35 + 0.3 * (1.0 + np.sin(2.0 * ang)) / 2.0
    for side in (0, 1):
        _arm(m, side, np.full(frames, 1.1), 1.1 + flex, 0.12)
    m.lean[:] = 0.32
    m.travel[:] = 0.25 * p.tempo * _clock(frames)
    m = dataclasses.replace(m, box=np.array([0.0, 0.24, 0.3, 0.48]), box_offset=0.15)
    m.box_follow[:, 0] = 1.0
    return m


def drink(frames: int, p: ActionParams) -> Motion:
    m = Motion.standing(frames)
    ph = (1.0 * p.tempo * _clock(frames) + p.phase) % 1.0
    raised = np.interp(ph, [0.0, 0.1, 0.35, 0.65, 0.9, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    sip = np.interp(ph, [0.0, 0.35, 0.5, 0.65, 1.0], [0.0, 0.0, 1.0, 0.0, 0.0])
    _arm(m, p.hand, 0.1 + 0.8 * raised, 0.25 + 2.85 * raised, 0.2 - 1.0 * raised)
    m.cup[:, p.hand] = 0.2 * raised + 0.9 * sip
    return m


def pour(frames: int, p: ActionParams) -> Motion:
    m = Motion.standing(frames)
    prog = _window(frames, p, 0.8)
    raised = np.interp(prog, [0.0, 0.2, 0.8, 1.0], [0.0, 1.0, 1.0, 0.0])
    tilt = np.interp(prog, [0.0, 0.25, 0.45, 0.6, 0.75, 1.0], [0.0, 0.0, 1.9, 1.9, 0.0, 0.0])
    other = 1 - p.hand
    _arm(m, p.hand, 0.1 + 0.95 * raised, 0.25 + 1.35 * raised, 0.1)
    _arm(m, other, 0.1 + 0.45 * raised, 0.25 + 1.2 * raised, 0.25)
    m.cup[:, p.hand] = tilt
    m.cup[:, other] = 0.0
    return m


def wave(frames: int, p: ActionParams) -> Motion:
    m = Motion.standing(frames)
    raised = _smooth(_clock(frames) / 0.15 - p.phase)
    swing = 0.45 * np.sin(_angle(frames, p, 4.0)) * raised
    _arm(m, p.hand, 0.08 + 2.3 * raised, 0.2 + 2.7 * raised + swing, 0.15 + 1.1 * raised)
    return m


def sit(frames: int, p: ActionParams) -> Motion:
    m = Motion.standing(frames)
    e = _smooth(_window(frames, p, 0.6))
    mid = np.sin(np.pi * e)
    m.thigh[:] = (1.45 * e)[:, None]
    m.shin[:] = (0.3 * mid)[:, None]
    m.lean[:] = 0.55 * mid + 0.1 * e
    for side in (0, 1):
        _arm(m, side, 0.08 + 0.7 * mid, 0.2 + 0.9 * mid, 0.15)
    seat_f = -(BODY.thigh * np.sin(1.45))
    return dataclasses.replace(m, chair=np.array([seat_f, BODY.shin + BODY.thigh * np.cos(1.45)]))


def stand(frames: int, p: ActionParams) -> Motion:
    return sit(frames, p).reversed()


def turn(frames: int, p: ActionParams) -> Motion:
    m = Motion.standing(frames)
    prog = _window(frames, p, 0.55)
    steps = 0.18 * np.sin(4.0 * np.pi * prog) * np.sin(np.pi * prog)
    m.thigh[:, 0], m.thigh[:, 1] = steps, -steps
    m.shin[:] = m.thigh - 0.1 * np.abs(np.sin(np.pi * prog))[:, None]
    m.yaw[:] = _smooth(prog)  # fraction of the half turn; the scene maps it to an angle
    return m


PROGRAMS: dict[str, Callable[[int, ActionParams], Motion]] = {
    "Drink": drink, "Jump": jump, "Pick": pick, "Pour": pour, "Push": push, "Run": run,
    "Sit": sit, "Stand": stand, "Turn": turn, "Walk": walk, "Wave": wave,
}


def action_motion(name: str, frames: int, params: ActionParams) -> Motion:
    """Motion of class `name` over `frames` frames, with the distractor props of `params` added."""
    if name not in PROGRAMS:
        raise KeyError(f"unknown action {name!r}; known: {', '.join(CLASS_NAMES)}")
    m = PROGRAMS[name](frames, params)
    if params.carry_cup and np.isnan(m.cup).all():
        m.cup[:, params.hand] = 0.0
    if params.chair and np.isnan(m.chair).all() and m.travel[-1] == 0.0:
        m = dataclasses.replace(m, chair=np.array([-0.3, 0.27]))
    return m


def pose_sequence(name: str, frames: int, params: ActionParams) -> Pose:
    """Joint trajectories of one performance (what the renderer draws)."""
    return kinematics(action_motion(name, frames, params))
