"""Docs that are tested: every command has help, and docs/cli.md is what --help says today."""

import sys
from pathlib import Path

from click.testing import CliRunner

from subpipe.cli.app import cli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import gen_cli_docs  # noqa: E402


def test_every_command_has_help():
    for path, cmd in gen_cli_docs.walk(cli, []):
        assert (cmd.help or "").strip(), f"subpipe {' '.join(path)} has no help text"
        res = CliRunner().invoke(cli, [*path, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output


def test_cli_reference_is_current():
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == gen_cli_docs.render(), "docs/cli.md is stale: run `make docs`"


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
