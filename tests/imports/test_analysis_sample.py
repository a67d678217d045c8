"""The analysis pass of a large file checks a systematic sample (imports.analysis): the hold
decision comes from the sample, the summary says what it stands for, and the run itself still
checks and rejects every bad row. The sampling thresholds are lowered so that a file of 4,000
rows counts as large (the real ones are 240,000 and 120,000)."""

from __future__ import annotations

import pytest

from mailwright.contacts.models import Contact
from mailwright.imports import analysis, service
from mailwright.imports.models import Import
from mailwright.web.imports.views import hygiene_summary
from tests.imports.util import CLI, run_import, write

pytestmark = pytest.mark.django_db
ROWS = 4000


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


def _file(tmp_path):
    lines = [
        f"bad-address-{i}.example.pl,yes\n" if i % 7 == 3 else f"person{i}@example.pl,yes\n"
        for i in range(ROWS)
    ]
    return write(tmp_path, "email,consent\n" + "".join(lines)), sum(i % 7 == 3 for i in range(ROWS))


def test_a_large_file_is_judged_by_a_sample_and_every_row_still_checked(
    newsletter, tmp_path, monkeypatch
):
    monkeypatch.setattr(analysis, "SAMPLE_ABOVE", 1000)
    monkeypatch.setattr(analysis, "SAMPLE_SIZE", 500)
    path, invalid = _file(tmp_path)
    imp = run_import(path, topics=["newsletter"], confirm_risky=False)
    assert imp.state == Import.State.HELD  # 14 % invalid, seen in the sample
    assert "of the addresses are invalid" in imp.hold_reasons[0]
    assert imp.hygiene["sample_of"] == ROWS
    assert 400 <= imp.hygiene["total"] <= 700
    assert 0.12 < imp.hygiene["invalid_share"] < 0.17
    checked = dict((key, value) for key, _, _, value in hygiene_summary(imp))["total"]
    assert checked == f"{imp.hygiene['total']:,} (a sample of the 4,000 rows)"

    imp = service.process(service.confirm(imp, by=CLI).pk)
    assert imp.state == Import.State.DONE
    assert imp.counts["rejected"] == invalid  # every bad row, not only the sampled ones
    assert imp.counts["imported"] == ROWS - invalid == Contact.objects.count()


def test_a_small_file_is_checked_row_by_row(newsletter, tmp_path):
    path, invalid = _file(tmp_path)
    imp = run_import(path, topics=["newsletter"], confirm_risky=False)
    assert imp.hygiene["sample_of"] is None
    assert imp.hygiene["total"] == ROWS
    assert imp.hygiene["counts"]["invalid"] == invalid
