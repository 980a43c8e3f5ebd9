"""`corridor import_directory`: the row report, the exit code, and nothing written on errors."""

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from corridor.directory.models import Organisation
from tests.directory.import_helpers import SME_HEADER, csv_bytes, make_world, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def _file(tmp_path, *rows):
    path = tmp_path / "smes.csv"
    path.write_bytes(csv_bytes(SME_HEADER, *rows))
    return path


def _row(name, province="Hà Nội"):
    return [name, "", "VN", province, "", "", "", "", ""]


def test_command_imports_a_good_file(world, tmp_path, capsys):
    call_command("import_directory", "smes", str(_file(tmp_path, _row("A"), _row("B"))))
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Row 2: ok",
        "Row 3: ok",
        "2 rows: 2 ok, 0 with errors.",
        "Imported 2 smes.",
    ]
    assert Organisation.objects.filter(name__in=["A", "B"], province=world["hanoi"]).count() == 2


def test_command_dry_run_writes_nothing(world, tmp_path, capsys):
    before = snapshot()
    call_command("import_directory", "smes", str(_file(tmp_path, _row("A"))), "--dry-run")
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Dry run: 1 rows are ready; nothing was written."
    )
    assert snapshot() == before


def test_command_fails_with_the_report_and_writes_nothing(world, tmp_path, capsys):
    before = snapshot()
    path = _file(tmp_path, _row("A"), _row("B", "Kampong Xyz"))
    with pytest.raises(CommandError, match="1 of 2 rows have errors: nothing was imported."):
        call_command("import_directory", "smes", str(path))
    assert capsys.readouterr().out.splitlines() == [
        "Row 2: ok",
        "Row 3, province: 'Kampong Xyz' is not a province of Viet Nam",
        "2 rows: 1 ok, 1 with errors.",
    ]
    assert snapshot() == before


def test_command_reports_an_unreadable_file(world, tmp_path):
    path = tmp_path / "smes.csv"
    path.write_bytes(b"name\nA\n")
    with pytest.raises(CommandError, match="Missing columns: country, province"):
        call_command("import_directory", "smes", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_directory", "smes", str(tmp_path / "missing.csv"))


def test_command_exits_non_zero(tmp_path):
    path = tmp_path / "smes.csv"
    path.write_bytes(b"name\nA\n")
    # A separate process: the exit status, as a shell script or cron job sees it.
    done = subprocess.run(
        [sys.executable, "-m", "corridor.cli", "import_directory", "smes", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Missing columns: country, province" in done.stderr
