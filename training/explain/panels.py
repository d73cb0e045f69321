"""PNG panels a person can read: the image, Grad-CAM, LIME and the top-5, one row per image.

Drawn on a bare `matplotlib.figure.Figure` (no pyplot), so no display or GUI backend is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from training.explain.explanation import Explanation

__all__ = ["overlay_heatmap", "lime_overlay", "write_panel", "write_grid"]

_CORRECT, _WRONG, _PREDICTED = "#1a9850", "#d73027", "#4575b4"


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend a [0, 1] heat map (any size, resized to the image) over a uint8 image, 'jet' colours."""
    from matplotlib import colormaps

    heatmap = _resize_map(heatmap, image.shape[:2])
    # The top of 'jet' is a dark red, darker than most photos: stop at its brightest red.
    colours = colormaps["jet"](0.88 * heatmap)[..., :3]
    blended = (1 - alpha) * image.astype(np.float32) / 255.0 + alpha * colours
    return (np.clip(blended, 0, 1) * 255).astype(np.uint8)


def lime_overlay(image: np.ndarray, segments: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The image with everything but the chosen superpixels dimmed, and their outline in yellow."""
    from skimage.segmentation import mark_boundaries

    shown = image.astype(np.float32) / 255.0
    shown = np.where(mask[..., None], shown, 0.3 * shown)
    chosen = np.where(mask, segments + 1, 0)  # one label per chosen superpixel, 0 for the rest
    return (mark_boundaries(shown, chosen, color=(1, 1, 0), mode="thick") * 255).astype(np.uint8)


def _resize_map(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if values.shape == tuple(shape):
        return values
    from PIL import Image

    resized = Image.fromarray(values.astype(np.float32)).resize((shape[1], shape[0]), Image.BILINEAR)
    return np.clip(np.asarray(resized), 0.0, 1.0)


def _verdict(exp: Explanation) -> tuple[str, str]:
    predicted, score = exp.top5[0]
    text = f"predicted: {predicted} ({score:.0%})"
    if exp.true_label is None:
        return text, "black"
    ok = predicted == exp.true_label
    return f"{'correct' if ok else 'WRONG'}: {text}, true: {exp.true_label}", _CORRECT if ok else _WRONG


def _draw_row(axes, exp: Explanation) -> None:
    """The panes of one explanation: input, Grad-CAM, [CAM of the TFLite twin,] LIME, top-5 scores."""
    ax_in, ax_cam, *ax_twin, ax_lime, ax_top = axes
    for ax in (ax_in, ax_cam, *ax_twin, ax_lime):
        ax.set_xticks([])
        ax.set_yticks([])
    verdict, colour = _verdict(exp)
    ax_in.imshow(exp.image)
    ax_in.set_title(f"{exp.name}\n{exp.image.shape[1]}x{exp.image.shape[0]} as the model sees it", fontsize=9)
    ax_in.set_ylabel(_wrap(verdict, 34), fontsize=9, color=colour)

    if exp.grad_cam is not None:
        ax_cam.imshow(overlay_heatmap(exp.image, exp.grad_cam.heatmap))
        ax_cam.set_title(
            f"Grad-CAM for '{_short(exp.class_label(exp.grad_cam.class_index))}'\n"
            f"Keras float, layer {exp.grad_cam.layer} (red = more)", fontsize=9)
    else:
        ax_cam.text(0.5, 0.5, "no Keras model given\n(--keras)", ha="center", va="center", fontsize=9)
        ax_cam.set_title("Grad-CAM", fontsize=9)

    if ax_twin:
        if exp.cam is not None:
            ax_twin[0].imshow(overlay_heatmap(exp.image, exp.cam.heatmap))
            ax_twin[0].set_title(f"CAM for '{_short(exp.class_label(exp.cam.class_index))}'\n"
                                 f"{exp.cam.runtime}, forward only (red = more)", fontsize=9)
        else:
            ax_twin[0].set_title("CAM (no twin)", fontsize=9)

    if exp.lime is not None:
        lime = exp.lime
        ax_lime.imshow(lime_overlay(exp.image, lime.segments, lime.mask))
        ax_lime.set_title(
            f"LIME: top {len(lime.top_segments)} superpixels for '{_short(exp.class_label(lime.class_index))}'\n"
            f"{exp.runtime}, {lime.config.num_samples} samples, seed {lime.config.seed}", fontsize=9)
    else:
        ax_lime.text(0.5, 0.5, "LIME skipped", ha="center", va="center", fontsize=9)
        ax_lime.set_title("LIME", fontsize=9)

    names = [_short(n, 26) for n, _ in exp.top5][::-1]
    scores = [s for _, s in exp.top5][::-1]
    colours = [_bar_colour(n, i == len(names) - 1, exp.true_label) for i, (n, _) in enumerate(exp.top5[::-1])]
    bars = ax_top.barh(range(len(names)), scores, color=colours)
    ax_top.set_yticks(range(len(names)), names, fontsize=9)
    ax_top.set_xlim(0, 1.18)
    ax_top.set_xticks([0, 0.5, 1.0], ["0", "0.5", "1"], fontsize=8)
    for bar, score in zip(bars, scores):
        ax_top.text(bar.get_width() + 0.02, bar.get_y() + bar.get_height() / 2, f"{score:.1%}", va="center", fontsize=8)
    ax_top.set_title(f"top-5 scores ({exp.runtime})", fontsize=9)
    for side in ("top", "right"):
        ax_top.spines[side].set_visible(False)


def _bar_colour(name: str, is_top: bool, true_label: str | None) -> str:
    if true_label is not None and name == true_label:
        return _CORRECT
    return _PREDICTED if is_top else "#9ecae1"


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _figure(rows: int, with_cam: bool):
    from matplotlib.figure import Figure

    images = 4 if with_cam else 3
    fig = Figure(figsize=(4.25 * (images + 1), 4.3 * rows), dpi=100)
    axes = fig.subplots(rows, images + 1, gridspec_kw={"width_ratios": [1] * images + [1.15]}, squeeze=False)
    return fig, axes


def write_panel(exp: Explanation, path: str | Path) -> Path:
    """Write one explanation as a PNG panel: input, Grad-CAM overlay, [twin CAM,] LIME superpixels, top-5."""
    fig, axes = _figure(1, exp.cam is not None)
    _draw_row(axes[0], exp)
    fig.suptitle(exp.model_name, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return _save(fig, path)


def write_grid(explanations: Sequence[Explanation], path: str | Path, title: str = "") -> Path:
    """Write several explanations as one PNG, one row each (correct and wrong ones marked)."""
    fig, axes = _figure(len(explanations), any(e.cam is not None for e in explanations))
    for row, exp in zip(axes, explanations):
        _draw_row(row, exp)
    correct = sum(1 for e in explanations if e.true_label is not None and e.top5[0][0] == e.true_label)
    summary = f"{len(explanations)} images: {correct} correct, {len(explanations) - correct} wrong"
    fig.suptitle(f"{title}  ·  {summary}" if title else summary, fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / (4.3 * len(explanations))))
    return _save(fig, path)


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
