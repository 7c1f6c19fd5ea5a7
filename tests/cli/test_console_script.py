"""The console script (``scrubber``, ``python -m scrubber``): it ends the
process as soon as a command is done (:func:`scrubber.cli.main.run`), so
what it prints must be flushed and its exit status kept; and a run imports
only its own command's module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import scrubber
from scrubber import build
from scrubber.cli.main import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "edi_samples" / "837p_freestanding_pos11.x12"
AS_OF = "2026-11-26"


def _scrub(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "scrubber", "scrub", str(SAMPLE), "--as-of", AS_OF, *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def test_piped_output_is_whole_and_the_status_kept(tmp_path: Path) -> None:
    done = _scrub("-o", str(tmp_path), "--format", "json", "-j", "1")
    # the sample has corrected and rejected claims: exit 1, not the 0 of a bare exit
    assert done.returncode == 1, done.stderr
    printed = json.loads(done.stdout)  # the whole document reached the pipe
    written = json.loads((tmp_path / f"{SAMPLE.stem}.report.json").read_text())
    assert printed == written
    assert done.stderr == ""


def test_a_sharded_run_ends_with_its_outputs_in_place(tmp_path: Path) -> None:
    done = _scrub("-o", str(tmp_path), "--quiet", "-j", "2")
    assert done.returncode == 1, done.stderr
    names = sorted(path.name for path in tmp_path.iterdir())
    stem = SAMPLE.stem
    assert names == [f"{stem}.277ca.x12", f"{stem}.clean.x12", f"{stem}.report.json"]


def test_a_usage_error_still_says_one_line_and_exits_2(tmp_path: Path) -> None:
    done = _scrub("-o", str(tmp_path), "--no-such-option")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "unrecognized arguments: --no-such-option" in done.stderr


def test_a_reader_that_goes_away_ends_the_run_quietly(tmp_path: Path) -> None:
    four = tmp_path / "four.x12"  # a report larger than a pipe's buffer
    four.write_text(SAMPLE.read_text() * 4)
    command = [sys.executable, "-m", "scrubber", "scrub", str(four), "-o", str(tmp_path)]
    run = subprocess.Popen(
        [*command, "--format", "json", "--as-of", AS_OF, "-j", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stdout is not None and run.stderr is not None
    assert run.stdout.read(11) == b'{\n  "schema'
    run.stdout.close()  # the reader goes away before the end
    error = run.stderr.read().decode()
    assert run.wait(timeout=120) == 0  # as documented for a closed pipe
    assert error == ""


def test_a_run_imports_only_its_own_command(tmp_path: Path) -> None:
    others = [f"scrubber.cli.commands.{name}" for name in COMMANDS if name != "scrub"]
    code = (
        "import sys\n"
        "from scrubber.cli.main import main\n"
        f"status = main(['scrub', {str(SAMPLE)!r}, '-o', {str(tmp_path)!r}, '--quiet',"
        f" '--as-of', {AS_OF!r}, '-j', '1'])\n"
        f"print(status, [m for m in {others!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split(" ", 1) == ["1", "[]\n"]


def test_the_whole_parser_has_every_command_and_one_command_only_its_own() -> None:
    def names(command: str | None) -> set[str]:
        parser = build_parser(command)
        (subparsers,) = parser._subparsers._group_actions  # type: ignore[union-attr]
        return set(subparsers.choices)  # type: ignore[arg-type]

    assert names(None) == set(COMMANDS)
    assert names("--help") == set(COMMANDS)
    assert names("check") == {"check"}


def test_what_is_registered_to_run_at_exit_still_runs(tmp_path: Path) -> None:
    # (a plugin's or a host's atexit hook, e.g. logging's flush)
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('at exit', flush=True))\n"
        f"sys.argv = ['scrubber', 'scrub', {str(SAMPLE)!r}, '-o', {str(tmp_path)!r}, '--quiet',"
        f" '--as-of', {AS_OF!r}, '-j', '1']\n"
        "from scrubber.cli.main import run\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (1, "at exit\n")


def test_a_profiled_run_ends_normally_so_the_profile_is_written(tmp_path: Path) -> None:
    profile = tmp_path / "run.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "scrubber", "scrub"]
    done = subprocess.run(
        [*command, str(SAMPLE), "-o", str(tmp_path), "--quiet", "--as-of", AS_OF, "-j", "1"],
        capture_output=True,
        text=True,
    )
    assert done.stderr == ""  # (cProfile's own exit status is 0 whatever the run's)
    assert profile.stat().st_size > 0


def test_the_version_names_the_build() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scrubber", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"scrubber {scrubber.__version__} ({build.describe()})\n"
    assert build.describe() in ("pure Python", "compiled (mypyc)")
