"""Reading training curves: best epoch, where overfitting starts, ETA, and CSV / PNG exports."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from PIL import Image, ImageDraw

METRIC_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "images_per_second")


def best_epoch(epochs: Sequence[dict]) -> dict | None:
    """The epoch with the lowest ``val_loss`` (the checkpointed one)."""
    scored = [e for e in epochs if e.get("val_loss") is not None]
    return min(scored, key=lambda e: e["val_loss"]) if scored else None


def overfitting_from(epochs: Sequence[dict], patience: int = 2) -> int | None:
    """The epoch after which validation loss rises: the best epoch, when at least ``patience`` later
    epochs all have a higher ``val_loss``. ``None`` while validation loss is still falling."""
    best = best_epoch(epochs)
    if best is None:
        return None
    later = [e for e in epochs if e["epoch"] > best["epoch"] and e.get("val_loss") is not None]
    if len(later) >= patience and all(e["val_loss"] > best["val_loss"] for e in later):
        return int(best["epoch"])
    return None


def spread_labels(positions: Sequence[float], min_gap: float, low: float = 0.0, high: float = 1.0) -> list[float]:
    """Label positions as close as possible to ``positions`` but at least ``min_gap`` apart, inside ``[low, high]``.

    Sorted positions are pushed up until every gap is ``min_gap``, then the whole run is shifted down if
    it leaves ``high``: ``out[i+1] - out[i] >= min_gap`` for the sorted order. Returned in input order.
    """
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed: list[float] = []
    for i in order:
        y = max(positions[i], low)
        if placed and y < placed[-1] + min_gap:
            y = placed[-1] + min_gap
        placed.append(y)
    overflow = (placed[-1] - high) if placed else 0.0
    if overflow > 0:
        placed = [y - overflow for y in placed]
        for k in range(len(placed) - 2, -1, -1):  # keep the gaps after the shift
            placed[k] = min(placed[k], placed[k + 1] - min_gap)
    out = [0.0] * len(positions)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


SETTLE_BATCHES = 3
SETTLE_FRACTION = 0.25


def eta_seconds(progress: dict | None, epochs: Sequence[dict]) -> float | None:
    """Remaining seconds from the measured epoch time and the current batch position. The first epoch carries the
    compilation, so it counts only while nothing steadier is known: the mean of the later finished epochs, else the
    current epoch's own pace once settled (at least :data:`SETTLE_BATCHES` batches and :data:`SETTLE_FRACTION` of the
    epoch), else the first epoch's time. ``None``: not known yet (the page says "measuring…")."""
    if not progress or not progress.get("batches") or not progress.get("epochs"):
        return None
    done = [e["seconds"] for e in epochs if e.get("seconds")]
    fraction = progress["batch"] / progress["batches"]
    settled = progress["batch"] >= SETTLE_BATCHES and fraction >= SETTLE_FRACTION
    if len(done) >= 2:
        per_epoch = sum(done[1:]) / len(done[1:])
    elif settled:
        per_epoch = progress.get("epoch_seconds", 0) / fraction
    elif done:
        per_epoch = done[0]
    else:
        return None
    remaining_epochs = progress["epochs"] - progress["epoch"] + (1 - fraction)
    return max(remaining_epochs * per_epoch, 0.0)


def epochs_replayed(epochs: Sequence[dict], elapsed: float) -> list[dict]:
    """The epochs a replay shows ``elapsed`` seconds in, at the run's own pace: epoch k appears once the
    recorded seconds of epochs 1..k (1 s for an epoch that recorded none) add up to no more than ``elapsed``."""
    shown, clock = [], 0.0
    for epoch in epochs:
        clock += epoch.get("seconds") or 1.0
        if clock > elapsed:
            break
        shown.append(epoch)
    return shown


def metrics_csv(epochs: Sequence[dict]) -> str:
    """The per-epoch metrics as CSV (one row per epoch)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=METRIC_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for e in epochs:
        writer.writerow({k: e.get(k, "") for k in METRIC_COLUMNS})
    return out.getvalue()


def curves_png(epochs: Sequence[dict], title: str = "", width: int = 900, height: int = 360) -> bytes:
    """Loss and accuracy curves (training dashed, validation solid) side by side, as PNG bytes."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((10, 6), title, fill="black")
    panels = (("loss", "val_loss", "loss"), ("accuracy", "val_accuracy", "accuracy"))
    panel_w = width // 2
    for p, (train_key, val_key, label) in enumerate(panels):
        x0, y0, x1, y1 = p * panel_w + 50, 30, (p + 1) * panel_w - 15, height - 35
        draw.rectangle((x0, y0, x1, y1), outline="#999")
        draw.text((x0, y1 + 8), f"{label} (epoch 1..{len(epochs)})", fill="black")
        values = [e[k] for e in epochs for k in (train_key, val_key) if isinstance(e.get(k), (int, float))]
        values = [v for v in values if math.isfinite(v)]
        if len(epochs) < 1 or not values:
            continue
        lo, hi = min(values), max(values)
        hi = hi if hi > lo else lo + 1
        draw.text((5 + p * panel_w, y0), f"{hi:.3g}", fill="#555")
        draw.text((5 + p * panel_w, y1 - 10), f"{lo:.3g}", fill="#555")
        n = max(len(epochs) - 1, 1)
        for key, colour, dashed in ((train_key, "#1f77b4", True), (val_key, "#d62728", False)):
            points = [
                (x0 + (x1 - x0) * i / n, y1 - (y1 - y0) * (e[key] - lo) / (hi - lo))
                for i, e in enumerate(epochs)
                if isinstance(e.get(key), (int, float)) and math.isfinite(e[key])
            ]
            for i, (a, b) in enumerate(zip(points, points[1:], strict=False)):
                if not dashed or i % 2 == 0:
                    draw.line((a, b), fill=colour, width=2)
            for point in points[-1:]:
                draw.ellipse((point[0] - 3, point[1] - 3, point[0] + 3, point[1] + 3), fill=colour)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
