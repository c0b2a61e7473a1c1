"""Tab colours: stored forms resolved to RGB, then to hue names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from needsassess.colors import THEME_SLOTS, TabColour, apply_tint, hue_name, resolve, theme_palette
from needsassess.template import load_template

TEMPLATE = load_template()
PALETTE = list(TEMPLATE.hues["default_theme"])


@pytest.mark.parametrize(("rgb", "hue"), [
    ("7030A0", "purple"), ("8064A2", "purple"), ("FFC000", "orange"), ("ED7D31", "orange"),
    ("F79646", "orange"), ("4472C4", "blue"), ("0070C0", "blue"), ("70AD47", "green"),
    ("00B050", "green"), ("A6A6A6", "grey"), ("FFFFFF", "grey"), ("000000", "grey"), ("FF0000", "red"),
])
def test_hue_names_of_the_tool_colours(rgb, hue):
    assert hue_name(rgb, TEMPLATE.hues) == hue


def test_no_colour_is_no_hue():
    assert hue_name(None, TEMPLATE.hues) == ""
    assert resolve(None, PALETTE) is None


def test_argb_keeps_last_six_digits():
    assert TabColour.from_attributes({"rgb": "FF7030A0"}) == TabColour(rgb="7030A0")
    assert TabColour.from_attributes({"rgb": "not-hex"}) is None
    assert TabColour.from_attributes({}) is None


def test_theme_index_uses_excel_order_light_before_dark():
    # index 0 is lt1 (white) and 1 is dk1 (black), unlike their order in theme1.xml
    assert resolve(TabColour(theme=0), PALETTE) == "FFFFFF"
    assert resolve(TabColour(theme=1), PALETTE) == "000000"
    assert resolve(TabColour(theme=7), PALETTE) == "8064A2"  # accent4, purple
    assert resolve(TabColour(theme=99), PALETTE) is None


def test_theme_purple_darkened_stays_purple_and_gets_darker():
    dark = resolve(TabColour(theme=7, tint=-0.5), PALETTE)
    assert hue_name(dark, TEMPLATE.hues) == "purple"
    assert sum(int(dark[i:i + 2], 16) for i in (0, 2, 4)) < sum(int("8064A2"[i:i + 2], 16) for i in (0, 2, 4))


def test_tint_extremes():
    assert apply_tint("336699", 0.0) == "336699"
    assert apply_tint("336699", 1.0) == "FFFFFF"
    assert apply_tint("336699", -1.0) == "000000"


def test_indexed_colour():
    assert resolve(TabColour(indexed=2), PALETTE) == "FF0000"


def test_theme_palette_from_scheme_slots_with_fallback():
    palette = theme_palette({"dk1": "111111", "lt1": "eeeeee", "accent4": "7030A0"}, PALETTE)
    assert palette[0] == "EEEEEE" and palette[1] == "111111" and palette[7] == "7030A0"
    assert palette[9] == PALETTE[9] and len(palette) == len(THEME_SLOTS)


@given(st.from_regex(r"[0-9A-F]{6}", fullmatch=True), st.floats(-1.0, 1.0))
def test_tint_always_gives_a_valid_colour_of_any_hue(rgb, tint):
    out = apply_tint(rgb, tint)
    assert len(out) == 6 and int(out, 16) >= 0
    assert isinstance(hue_name(out, TEMPLATE.hues), str)
