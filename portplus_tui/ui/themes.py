"""The app's three themes (issue 13, point 16): dark (the default), light, and high
contrast. Each keeps every pair of text and background colours the screens use at
WCAG AA contrast (4.5:1), in true colour and in the 256 colours of a terminal over SSH
without COLORTERM (tests/ui/test_themes.py computes them with ``contrast_pairs``).

The theme chosen in the command palette (「テーマ変更」) is remembered per OS user
(``remember`` / ``remembered``: a small file in the user state folder, 0600); the
setting ``theme`` gives the one to start with until a choice is made.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from textual.color import Color
from textual.theme import Theme

DARK, LIGHT, HIGH_CONTRAST = "portplus-dark", "portplus-light", "portplus-high-contrast"

THEMES = (
    Theme(
        name=DARK,
        primary="#0064B4",
        secondary="#5684A5",
        accent="#FFB454",
        foreground="#E6E6E6",
        background="#121212",
        surface="#1E1E1E",
        panel="#262626",
        success="#5FB878",
        warning="#FFB454",
        error="#E0788E",
        dark=True,
        variables={
            "text-primary": "#7DB8E8",
            "text-muted": "#A8A8A8",
            "text-error": "#F0A0B0",
            "text-success": "#8FD9A6",
            "text-warning": "#FFC473",
            "text-accent": "#FFC473",
            "footer-key-foreground": "#FFB454",
            "footer-description-foreground": "#E6E6E6",
            "footer-background": "#262626",
            "block-cursor-foreground": "#FFFFFF",
            "block-cursor-background": "#0064B4",
        },
    ),
    Theme(
        name=LIGHT,
        primary="#005A9E",
        secondary="#3A5A78",
        accent="#8A4B00",
        foreground="#1A1A1A",
        background="#F7F7F7",
        surface="#FFFFFF",
        panel="#E4E4E4",
        success="#1E6B35",
        warning="#8A4B00",
        error="#B00020",
        dark=False,
        variables={
            "text-primary": "#004C87",
            "text-muted": "#505050",
            "text-error": "#A0001C",
            "text-success": "#1A5E2F",
            "text-warning": "#7A4200",
            "text-accent": "#7A4200",
            "footer-key-foreground": "#6A3900",
            "footer-description-foreground": "#1A1A1A",
            "footer-background": "#E4E4E4",
            "block-cursor-foreground": "#FFFFFF",
            "block-cursor-background": "#005A9E",
        },
    ),
    Theme(
        name=HIGH_CONTRAST,
        primary="#0050A0",
        secondary="#FFFFFF",
        accent="#FFFF00",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#1A1A1A",
        success="#00FF66",
        warning="#FFFF00",
        error="#FF6B6B",
        dark=True,
        variables={
            "text-primary": "#9FD0FF",
            "text-muted": "#D0D0D0",
            "text-error": "#FF9A9A",
            "text-success": "#66FF99",
            "text-warning": "#FFFF00",
            "text-accent": "#FFFF00",
            "footer-key-foreground": "#FFFF00",
            "footer-description-foreground": "#FFFFFF",
            "footer-background": "#1A1A1A",
            "block-cursor-foreground": "#000000",
            "block-cursor-background": "#FFFF00",
            "border": "#FFFFFF",
        },
    ),
)
NAMES = tuple(theme.name for theme in THEMES)

#: (text, background) pairs of the variables the screens use together
PAIRS = (
    ("text", "background"), ("text", "surface"), ("text", "panel"), ("text", "primary"),
    ("foreground", "background"), ("foreground", "surface"),
    ("text-muted", "background"), ("text-muted", "surface"),
    ("text-primary", "background"), ("text-primary", "surface"),
    ("text-error", "background"), ("text-error", "surface"),
    ("text-success", "background"), ("text-success", "surface"),
    ("text-warning", "surface"),
    ("block-cursor-foreground", "block-cursor-background"),
    ("footer-key-foreground", "footer-background"),
    ("footer-description-foreground", "footer-background"),
)


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast(foreground: Color, background: Color) -> float:
    """WCAG 2 contrast ratio (1 to 21)."""
    a, b = _luminance(foreground), _luminance(background)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def to_256(color: Color) -> Color:
    """The xterm 256-colour a true colour becomes (as Rich, under Textual, downgrades)."""
    from rich.color import Color as RichColor
    from rich.color import ColorSystem

    rich = RichColor.from_rgb(color.r, color.g, color.b).downgrade(ColorSystem.EIGHT_BIT)
    triplet = rich.get_truecolor()
    return Color(triplet.red, triplet.green, triplet.blue)


def _resolve(variables: dict[str, str], name: str, background: Color) -> Color:
    """A variable as drawn on ``background``: "auto N%" is Textual's contrasting text,
    a translucent colour is blended over the background."""
    value = variables[name]
    if value.startswith("auto"):
        alpha = float(value.split()[1].rstrip("%")) / 100 if len(value.split()) > 1 else 1.0
        return background + background.get_contrast_text(alpha)
    color = Color.parse(value)
    return background + color if color.a < 1 else color


def contrast_pairs(theme: Theme) -> Iterator[tuple[str, str, float, float]]:
    """(text variable, background variable, ratio in true colour, ratio in 256 colours)."""
    variables = theme.to_color_system().generate()
    for text, back in PAIRS:
        background = Color.parse(variables[back])
        foreground = _resolve(variables, text, background)
        yield (text, back, contrast(foreground, background),
               contrast(to_256(foreground), to_256(background)))


# ------------------------------------------------------------------ the choice, kept
def state_file() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("portplus", appauthor=False)) / "ui.json"


def remembered(path: Path | None = None) -> str | None:
    try:
        data = json.loads((path or state_file()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("theme") if isinstance(data, dict) else None
    return name if name in NAMES else None


def remember(name: str, path: Path | None = None) -> None:
    """Keep ``name`` for the next start (folder 0700, file 0600, replaced atomically);
    a failure to write is not an error (the theme still changes now)."""
    if name not in NAMES:
        return
    target = path or state_file()
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"theme": name}, handle)
        os.replace(tmp, target)
    except OSError:
        pass
