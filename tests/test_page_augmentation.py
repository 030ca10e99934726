import numpy as np
import pytest
from PIL import Image

from tests.helpers import assert_clean, run_page
from tests.image_samples import huge_png, samples

PAGE = "app_pages/augmentation.py"
SAMPLES = samples()


def _grid_images(at):
    return [img for img in at.image if not img.captions or not img.captions[0]]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_default_renders_grid_epochs_and_book_code(lang):
    at = run_page(PAGE, lang, timeout=120)
    assert_clean(at)
    assert not at.error
    assert len(_grid_images(at)) == 9
    assert (
        sum(1 for img in at.image if img.captions and ("Epoch" in img.captions[0] or "에포크" in img.captions[0])) == 6
    )
    code = at.code[-1].value
    assert 'layers.RandomFlip("horizontal")' in code and "RandomRotation(0.1)" in code and "RandomZoom(0.2)" in code


def test_changed_factors_change_code_and_grid_size():
    at = run_page(PAGE, timeout=120)
    at.slider(key="aug_rotation").set_value(0.25)
    at.slider(key="aug_contrast").set_value(0.3)
    at.selectbox(key="aug_fill").set_value("constant")
    at.number_input(key="aug_grid").set_value(2).run()
    assert_clean(at)
    code = at.code[-1].value
    assert 'RandomRotation(0.25, fill_mode="constant")' in code and "RandomContrast(0.3, value_range=(0, 255))" in code
    assert len(_grid_images(at)) == 4


def test_presets_and_reroll():
    at = run_page(PAGE, timeout=120)
    at.button(key="aug_preset_first_edition").click().run()
    code = at.code[-1].value
    assert "RandomTranslation(0.2, 0.2" in code and "RandomShear(0.2, 0.2" in code and 'fill_mode="nearest"' in code
    at.button(key="aug_reroll").click().run()
    assert at.number_input(key="aug_seed").value == 1
    at.button(key="aug_preset_none").click().run()
    assert "RandomFlip" not in at.code[-1].value
    assert at.info  # "every epoch shows the same image"


GOOD_UPLOADS = [
    "rgba_png_ok",
    "palette_png_ok",
    "cmyk_jpeg_ok",
    "png16_ok",
    "exif_rotated_jpeg_ok",
    "webp_ok",
    "bmp_ok",
]
BAD_UPLOADS = {
    "text_as_jpg": ("note.jpg", "not an image"),
    "truncated_jpeg": ("broken.jpg", "damaged or incomplete"),
    "one_pixel_png": ("dot.png", "only 1x1 pixels"),
}


@pytest.mark.parametrize("name", GOOD_UPLOADS)
def test_awkward_but_valid_uploads_work(name):
    at = run_page(PAGE, timeout=120, aug_photo_source="upload")
    extension = {"webp_ok": "webp", "bmp_ok": "bmp"}.get(name, "jpg" if "jpeg" in name else "png")
    at.file_uploader(key="aug_photo_upload").set_value((f"{name}.{extension}", SAMPLES[name], "image/png")).run()
    assert_clean(at)
    assert not at.error
    assert len(_grid_images(at)) == 9


@pytest.mark.parametrize("name", sorted(BAD_UPLOADS))
def test_bad_uploads_get_a_clear_message(name):
    filename, message = BAD_UPLOADS[name]
    at = run_page(PAGE, timeout=120, aug_photo_source="upload")
    at.file_uploader(key="aug_photo_upload").set_value((filename, SAMPLES[name], "image/jpeg")).run()
    assert_clean(at)
    assert at.error and message in at.error[0].value
    assert not _grid_images(at)


def test_huge_image_and_file_over_the_limit(monkeypatch):
    at = run_page(PAGE, timeout=120, aug_photo_source="upload")
    at.file_uploader(key="aug_photo_upload").set_value(("bomb.png", huge_png(10_000), "image/png")).run()
    assert_clean(at)
    assert at.error and "too large (10000x10000)" in at.error[0].value
    monkeypatch.setenv("CNN_CLASSROOM_MAX_UPLOAD_MB", "0.0001")
    at = run_page(PAGE, timeout=120, aug_photo_source="upload")
    at.file_uploader(key="aug_photo_upload").set_value(("big.png", SAMPLES["png_ok"], "image/png")).run()
    assert at.error and "the limit is" in at.error[0].value


def test_dataset_source(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_DATA_DIRS", str(tmp_path))
    at = run_page(PAGE, timeout=120, aug_photo_source="dataset")
    assert_clean(at)
    assert at.info and "No dataset folder found" in at.info[0].value
    for name in ("cat", "dog"):
        folder = tmp_path / "pets" / "train" / name
        folder.mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.full((30, 30, 3), 50 * i, np.uint8)).save(folder / f"{name}.{i}.jpg")
    at = run_page(PAGE, timeout=120, aug_photo_source="dataset")
    assert_clean(at)
    assert at.selectbox(key="aug_dataset").value == "pets"
    assert any("(class:" in c.value for c in at.caption)
    at.button(key="aug_pick").click().run()
    assert_clean(at)
    assert len(_grid_images(at)) == 9
