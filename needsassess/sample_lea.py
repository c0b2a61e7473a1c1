"""Fictional LEAs for generated workbooks: who they are, from ``data/samples.toml``.

:func:`make_identity` draws an LEA of a State (name, IDs, allocation,
contact, schools); the same random stream always gives the same LEA.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from .template import normalize

SAMPLES_FILE = "samples.toml"


@lru_cache(maxsize=1)
def load_bank() -> Mapping[str, Any]:
    """The shipped text bank (``data/samples.toml``), parsed once."""
    with resources.files("needsassess").joinpath("data", SAMPLES_FILE).open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class School:
    """One school of an LEA, as listed on the school-selection tab."""

    name: str
    grades: str
    enrollment: int
    nces_id: str


@dataclass(frozen=True)
class LeaIdentity:
    """Who the LEA is: the values of the LEA-information tab.

    ``schools`` lists every school, ``selected`` the names of the schools
    chosen for Title IV-A funds (their columns on the data tabs).
    """

    lea_name: str
    state: str
    lea_id: str
    nces_id: str
    school_year: str
    allocation: float
    date_completed: date
    contact_name: str = ""
    contact_title: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    stakeholders: str = ""
    schools: tuple[School, ...] = ()
    selected: tuple[str, ...] = ()
    place: str = ""
    agency: str = ""


def make_identity(rng: random.Random, *, state: str | None = None,
                  taken: set[str] | None = None, bank: Mapping[str, Any] | None = None) -> LeaIdentity:
    """Draw a fictional LEA.

    Parameters
    ----------
    rng : random.Random
    state : str, optional
        Name or abbreviation of a State of the bank; drawn when None.
    taken : set of str, optional
        Keys of LEA names, IDs and places already used; the new LEA avoids
        them and adds its own.
    """
    bank = bank or load_bank()
    taken = taken if taken is not None else set()
    st = _pick_state(rng, bank, state)
    names = bank["names"]
    for _ in range(200):
        place, county = rng.choice(names["places"]), rng.choice(names["counties"])
        charter = rng.random() < bank["charter_share"]
        form = rng.choice(names["charter_forms"] if charter else names["district_forms"])
        lea_name = form.format(place=place, county=county, word=rng.choice(names["charter_words"]))
        # One LEA per place (or county) in a State's folder, as in real life.
        where = f"place:{county if '{county}' in form else place}".lower()
        if lea_name.lower() not in taken and where not in taken:
            break
    taken.add(where)
    if "{county}" in form:
        place = f"{county} County"
    while True:
        lea_id = st["id_format"].format(n=rng.randrange(10, 9999))
        if f"id:{lea_id}" not in taken:
            break
    taken.update({lea_name.lower(), f"id:{lea_id}"})
    nces_id = f"{st['fips']}{rng.randrange(0, 100000):05d}"
    allocation = _allocation(rng, bank)
    first, last = rng.choice(names["first_names"]), rng.choice(names["last_names"])
    schools = _schools(rng, bank, place, nces_id, allocation)
    n_sel = min(len(schools), rng.choice([1, 2, 2, 3, 3, 4]))
    selected = tuple(s.name for s in sorted(rng.sample(schools, n_sel), key=schools.index))
    groups = rng.sample(list(names["stakeholders"]), rng.randint(3, 6))
    return LeaIdentity(
        lea_name=lea_name,
        state=st["name"],
        lea_id=lea_id,
        nces_id=nces_id,
        school_year=bank["school_year"],
        allocation=allocation,
        date_completed=_weekday_between(rng, *bank["completed_between"]),
        contact_name=f"{first} {last}",
        contact_title=rng.choice(names["contact_titles"]),
        contact_email=f"{first}.{last}@{_domain(lea_name, st['abbr'], rng)}".lower(),
        contact_phone=f"({rng.choice(st['area_codes'])}) 555-01{rng.randrange(100):02d}",
        stakeholders=", ".join(groups[:-1]) + f" and {groups[-1]}",
        schools=tuple(schools),
        selected=selected,
        place=place,
        agency=st["agency"],
    )


def _pick_state(rng: random.Random, bank: Mapping[str, Any], state: str | None) -> Mapping[str, Any]:
    states = bank["states"]
    if state is None:
        return rng.choice(states)
    for st in states:
        if normalize(state) in (normalize(st["name"]), normalize(st["abbr"])):
            return st
    known = ", ".join(st["name"] for st in states)
    raise ValueError(f"unknown State {state!r}; the text bank knows {known}")


def _allocation(rng: random.Random, bank: Mapping[str, Any]) -> float:
    bands = bank["allocations"]
    low, high, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    return round(rng.uniform(low, high), 2)


def _weekday_between(rng: random.Random, start: str, end: str) -> date:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _domain(lea_name: str, abbr: str, rng: random.Random) -> str:
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", lea_name)).lower()
    first = re.sub(r"[^a-z]", "", lea_name.lower().split(" ")[0])
    return rng.choice([f"{initials}.org", f"{first}schools.org", f"{initials}.k12.{abbr.lower()}.us"])


def _schools(rng: random.Random, bank: Mapping[str, Any], place: str, nces_id: str,
             allocation: float) -> list[School]:
    sb = bank["schools"]
    count = rng.randint(1, 4) if allocation < 30000 else rng.randint(3, 8) if allocation < 450000 \
        else rng.randint(6, 14)
    kinds = sb["kinds"]
    out: list[School] = []
    used: set[str] = set()
    for i in range(count):
        kind = kinds[0] if i == 0 else rng.choices(kinds, weights=[k["weight"] for k in kinds])[0]
        for _ in range(30):
            name = rng.choice(kind["forms"]).format(
                person=rng.choice(sb["persons"]), nature=rng.choice(sb["nature"]), place=place)
            if name not in used:
                break
        else:
            continue
        used.add(name)
        out.append(School(name, kind["grades"], rng.randint(*kind["enrollment"]),
                          f"{nces_id}{rng.randrange(100000):05d}"))
    return out
