"""Colour contrast as WCAG 2.1 defines it, for the colours the app chooses itself (grids, themes).

Text needs a ratio of at least 4.5:1 against its background (success criterion 1.4.3, level AA); large text
(24 px, or 18.7 px bold) needs 3:1.
"""

from __future__ import annotations

AA_TEXT = 4.5
AA_LARGE_TEXT = 3.0
BLACK = "#000000"
WHITE = "#ffffff"


def parse_colour(colour: str) -> tuple[int, int, int]:
    """``#rgb`` or ``#rrggbb`` -> (r, g, b) in 0..255."""
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    if len(digits) != 6:
        raise ValueError(f"Expected a colour as #rgb or #rrggbb. Received: colour={colour!r}")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def relative_luminance(colour: str | tuple[int, int, int]) -> float:
    """L = 0.2126 R + 0.7152 G + 0.0722 B, each channel c = v/255 linearised as c/12.92 if c <= 0.04045,
    else ((c + 0.055)/1.055)^2.4 (WCAG 2.1, "relative luminance")."""
    rgb = parse_colour(colour) if isinstance(colour, str) else colour
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str | tuple[int, int, int], background: str | tuple[int, int, int]) -> float:
    """(L_lighter + 0.05) / (L_darker + 0.05), from 1 (same colour) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_on(background: str | tuple[int, int, int]) -> str:
    """Black or white, whichever contrasts more with ``background``: at least 4.58:1 on any colour."""
    return BLACK if contrast_ratio(BLACK, background) >= contrast_ratio(WHITE, background) else WHITE
