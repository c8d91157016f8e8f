"""Issue 18's done-condition: the outside probe (probe_issue18.py) of every finding, run once
against a production-mode hub subprocess and the production broker config, finds none of
them. One test per probe case, failing with what the probe saw."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.probe_issue18 import CASES, Outcome, report, run_probe

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def outcomes(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[dict[str, Outcome]]:
    from tests.conftest import scratch_database
    workdir: Path = tmp_path_factory.mktemp("probe18")
    with scratch_database() as url:
        found = run_probe(workdir, url)
    print("\n" + report(found))  # the whole picture once, with -s or on failure
    yield {o.case: o for o in found}


@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_the_outside_probe_finds_the_finding_fixed(outcomes: dict[str, Outcome],
                                                   case: str) -> None:
    outcome = outcomes[case]
    assert outcome.verdict == "held", (
        f"{case} ({outcome.finding}) is broken:\n  " + "\n  ".join(outcome.evidence))
