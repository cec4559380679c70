"""The camera model: exposure scales linear light, noise follows its knobs, gamma brightens."""
import numpy as np

from darkvid.synthetic.actions import ActionParams, pose_sequence
from darkvid.synthetic.darkness import (
    CameraParams,
    capture,
    gamma_correct,
    linear_to_srgb,
    sample_dark_camera,
    srgb_to_linear,
)
from darkvid.synthetic.render import render_clip
from darkvid.synthetic.scene import sample_scene


def _scene_frames(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pose = pose_sequence("Walk", 6, ActionParams())
    return render_clip(pose, sample_scene(rng, pose, 64, 48))


def _linear_mean(frames: np.ndarray) -> float:
    return float(srgb_to_linear(frames / 255.0).mean())


def _cam(exposure: float, noise: float = 0.3, blur: float = 0.0) -> CameraParams:
    return CameraParams(exposure=exposure, gains=(1.0, 1.0, 1.0), blur_sigma=blur, full_well=6000.0, read_noise=noise)


def test_srgb_round_trip():
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-9)


def test_dark_footage_is_exposure_times_darker_in_linear_light():
    frames = _scene_frames()
    normal = capture(frames, _cam(1.0), np.random.default_rng(1))
    for exposure in (0.02, 0.06):
        dark = capture(frames, _cam(exposure, blur=0.6), np.random.default_rng(2))
        ratio = _linear_mean(dark) / _linear_mean(normal)
        assert 0.8 * exposure < ratio < 1.25 * exposure, (exposure, ratio)
        assert dark.mean() < 0.35 * normal.mean()


def test_read_noise_knob_raises_the_noise():
    grey = np.full((4, 32, 32, 3), 128, np.uint8)
    stds = [capture(grey, _cam(0.04, noise=n), np.random.default_rng(0)).astype(float).std() for n in (0.0, 0.5, 2.0)]
    assert stds[0] < stds[1] < stds[2]
    assert stds[2] > 2 * stds[1]


def test_shot_noise_is_relatively_larger_in_the_dark():
    grey = np.full((4, 32, 32, 3), 128, np.uint8)
    rel = []
    for exposure in (1.0, 0.03):
        light = srgb_to_linear(capture(grey, _cam(exposure, noise=0.0), np.random.default_rng(0)) / 255.0)
        rel.append(light.std() / light.mean())
    assert rel[1] > 3 * rel[0]


def test_gamma_correction_brightens_dark_footage():
    dark = capture(_scene_frames(), _cam(0.04), np.random.default_rng(3))
    corrected = gamma_correct(dark, 0.25)
    assert corrected.mean() > 3 * dark.mean()
    assert corrected.max() <= 255.0


def test_capture_is_deterministic_for_a_generator_seed():
    frames = _scene_frames()
    cam = sample_dark_camera(np.random.default_rng(5), (0.02, 0.06), (0.3, 0.9), 6000.0, 0.3)
    a = capture(frames, cam, np.random.default_rng(9))
    b = capture(frames, cam, np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert abs(np.mean(cam.gains) - 1.0) < 1e-9 and 0.02 <= cam.exposure <= 0.06
