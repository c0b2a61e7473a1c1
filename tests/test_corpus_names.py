"""A generated corpus gives every LEA its own name, IDs and file, however many there are.

The text bank holds a few hundred LEA names per State; a corpus larger than
that used to give two LEAs one name, and the second file overwrote the first.
The plan of a corpus is tested directly (writing a thousand workbooks would
take a minute); one small corpus is written to check the plan is what lands
on disk.
"""

from __future__ import annotations

import re

import pytest

from needsassess.generate import generate_corpus, plan_corpus

N = 800  # past the bank's names for a State


@pytest.fixture(scope="module")
def plan():
    return plan_corpus(N, seed=2, duplicates=12)


def test_every_lea_has_its_own_name_ids_and_file(plan):
    leas = [p.lea for p in plan]
    assert len(plan) == N
    assert len({lea.lea_name.lower() for lea in leas}) == N
    assert len({lea.lea_id for lea in leas}) == N
    assert len({lea.nces_id for lea in leas}) == N
    files = [p.file for p in plan] + [p.older_file for p in plan if p.older_file]
    assert len(files) == N + 12 and len({f.lower() for f in files}) == N + 12


def test_names_past_the_bank_get_a_district_number(plan):
    numbered = [p.lea.lea_name for p in plan if " No. " in p.lea.lea_name]
    assert numbered, "800 LEAs should exhaust the bank's names for one State"
    bare = {p.lea.lea_name for p in plan if " No. " not in p.lea.lea_name}
    for name in numbered:
        base, number = re.fullmatch(r"(.+) No\. (\d+)", name).groups()
        assert base in bare and int(number) >= 2
    assert all(re.fullmatch(r"\d{7}", p.lea.nces_id) for p in plan)
    assert len({p.lea.nces_id[:2] for p in plan}) == 1 and len({p.lea.state for p in plan}) == 1
    # a school's NCES ID starts with its LEA's
    assert all(s.nces_id.startswith(p.lea.nces_id) for p in plan for s in p.lea.schools)


def test_plan_is_deterministic(plan):
    assert plan_corpus(N, seed=2, duplicates=12) == plan
    assert plan_corpus(N, seed=3, duplicates=12) != plan


def test_written_corpus_follows_the_plan(tmp_path):
    planned = plan_corpus(5, seed=8, duplicates=1)
    truths = generate_corpus(tmp_path, 5, seed=8, mess="ordinary", duplicates=1)
    assert [t.file for t in truths if t.newest] == [f"{p.file}.xlsx" for p in planned]
    assert [t.lea.lea_name for t in truths if t.newest] == [p.lea.lea_name for p in planned]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(t.file for t in truths)
