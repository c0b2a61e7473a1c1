"""Tab colours: from what the workbook stores to a hue name.

Excel stores a tab colour as ARGB hex (``rgb="FF7030A0"``), as a theme index
plus an optional tint (``theme="7" tint="-0.25"``) or, in files converted
from old formats, as an index into the legacy 64-colour palette.  The reader
resolves each to RGB and then to a hue name (purple, orange, ...) using the
template's ``[hues]`` table, so a renamed tab can still be recognised by its
colour.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

#: DrawingML colour scheme elements in the order Excel numbers them for a
#: ``theme=`` attribute.  The first four are swapped against their order in
#: theme1.xml (dk1, lt1, dk2, lt2): index 0 is lt1, index 1 is dk1.
THEME_SLOTS = ("lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4",
               "accent5", "accent6", "hlink", "folHlink")

#: The legacy indexed palette of the file format (ECMA-376 part 1, 18.8.27);
#: indices 0-7 repeat 8-15.  Used only for ``indexed=`` tab colours.
_INDEXED = (
    "000000 FFFFFF FF0000 00FF00 0000FF FFFF00 FF00FF 00FFFF "
    "000000 FFFFFF FF0000 00FF00 0000FF FFFF00 FF00FF 00FFFF "
    "800000 008000 000080 808000 800080 008080 C0C0C0 808080 "
    "9999FF 993366 FFFFCC CCFFFF 660066 FF8080 0066CC CCCCFF "
    "000080 FF00FF FFFF00 00FFFF 800080 800000 008080 0000FF "
    "00CCFF CCFFFF CCFFCC FFFF99 99CCFF FF99CC CC99FF FFCC99 "
    "3366FF 33CCCC 99CC00 FFCC00 FF9900 FF6600 666699 969696 "
    "003366 339966 003300 333300 993300 993366 333399 333333"
).split()


@dataclass(frozen=True, slots=True)
class TabColour:
    """A tab colour as the workbook stores it (one of rgb, theme, indexed)."""

    rgb: str | None = None
    theme: int | None = None
    tint: float = 0.0
    indexed: int | None = None

    @classmethod
    def from_attributes(cls, attrs: Mapping[str, str]) -> "TabColour | None":
        """Build from the attributes of a ``<tabColor>`` element; None if unusable.

        Examples
        --------
        >>> TabColour.from_attributes({"theme": "7", "tint": "-0.25"})
        TabColour(rgb=None, theme=7, tint=-0.25, indexed=None)
        """
        try:
            tint = float(attrs.get("tint", 0.0))
            if "rgb" in attrs:
                return cls(rgb=_hex6(attrs["rgb"]), tint=tint)
            if "theme" in attrs:
                return cls(theme=int(attrs["theme"]), tint=tint)
            if "indexed" in attrs:
                return cls(indexed=int(attrs["indexed"]), tint=tint)
        except ValueError:
            return None
        return None


def _hex6(value: str) -> str:
    """Last six hex digits of an RGB or ARGB string, upper case."""
    text = value.strip().lstrip("#").upper()
    if len(text) not in (6, 8) or any(ch not in "0123456789ABCDEF" for ch in text):
        raise ValueError(f"not a hex colour: {value!r}")
    return text[-6:]


def apply_tint(rgb: str, tint: float) -> str:
    """Lighten (tint > 0) or darken (tint < 0) a colour the way Excel does.

    Excel converts to HLS and scales only the luminance:
    ``L * (1 + tint)`` when darkening, ``L * (1 - tint) + tint`` when
    lightening.

    Examples
    --------
    >>> apply_tint("8064A2", -0.25)
    '604A7B'
    >>> apply_tint("000000", 0.5)
    '808080'
    """
    if not tint:
        return rgb
    r, g, b = (int(rgb[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    lum = lum * (1.0 + tint) if tint < 0 else lum * (1.0 - tint) + tint
    lum = min(1.0, max(0.0, lum))
    r, g, b = colorsys.hls_to_rgb(h, lum, s)
    return "".join(f"{round(v * 255):02X}" for v in (r, g, b))


def resolve(colour: TabColour | None, palette: Sequence[str]) -> str | None:
    """RGB hex of a stored tab colour, with theme and tint applied.

    ``palette`` is the workbook's theme in Excel's index order (see
    :data:`THEME_SLOTS`).  Returns None when the colour cannot be resolved.

    Examples
    --------
    >>> resolve(TabColour(theme=9), ["FFFFFF", "000000", "EEECE1", "1F497D", "4F81BD",
    ...                              "C0504D", "9BBB59", "8064A2", "4BACC6", "F79646"])
    'F79646'
    """
    if colour is None:
        return None
    if colour.rgb is not None:
        base = colour.rgb
    elif colour.theme is not None:
        if not 0 <= colour.theme < len(palette):
            return None
        base = palette[colour.theme]
    elif colour.indexed is not None and 0 <= colour.indexed < len(_INDEXED):
        base = _INDEXED[colour.indexed]
    else:
        return None
    return apply_tint(base, colour.tint)


def hue_name(rgb: str | None, hues: Mapping[str, Any]) -> str:
    """Name of the hue range (template ``[hues]``) an RGB colour falls in.

    A colour whose HSL saturation is below ``grey_max_saturation`` is
    ``"grey"``; no colour at all is ``""``.  Ranges are degrees, start
    included, end excluded, and may wrap past 360 (red: ``[320, 15]``).

    Examples
    --------
    >>> hues = {"grey_max_saturation": 0.12, "purple": [255.0, 320.0], "orange": [15.0, 50.0]}
    >>> hue_name("7030A0", hues), hue_name("FFC000", hues), hue_name("808080", hues)
    ('purple', 'orange', 'grey')
    """
    if not rgb:
        return ""
    r, g, b = (int(rgb[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    h, _lum, s = colorsys.rgb_to_hls(r, g, b)
    if s < float(hues.get("grey_max_saturation", 0.12)) or max(r, g, b) - min(r, g, b) < 0.04:
        return "grey"
    degrees = h * 360.0
    for name, span in hues.items():
        if not isinstance(span, (list, tuple)) or len(span) != 2:
            continue
        lo, hi = float(span[0]), float(span[1])
        inside = lo <= degrees < hi if lo <= hi else (degrees >= lo or degrees < hi)
        if inside:
            return str(name)
    return ""


def theme_palette(slots: Mapping[str, str], fallback: Sequence[str]) -> list[str]:
    """The theme colours in Excel's index order.

    ``slots`` maps scheme element names (dk1, lt1, accent1, ...) to RGB hex,
    as read from ``xl/theme/theme1.xml``; a slot it lacks comes from
    ``fallback`` (the template's ``default_theme``).
    """
    out = []
    for i, slot in enumerate(THEME_SLOTS):
        value = slots.get(slot)
        if value is None:
            value = fallback[i] if i < len(fallback) else "000000"
        out.append(value.upper())
    return out
