"""Print the CLI reference (docs/cli.md) from the commands' own --help. `make docs` writes it."""

from __future__ import annotations

import click
from click.testing import CliRunner

from subpipe.cli.app import cli


def walk(group: click.Group, prefix: list[str]):
    yield prefix, group
    if isinstance(group, click.Group):
        for name in sorted(group.commands):
            yield from walk(group.commands[name], [*prefix, name])


def render() -> str:
    out = [
        "# subpipe CLI reference",
        "",
        "Generated from `--help` by `make docs` (scripts/gen_cli_docs.py); `make test` checks it is current.",
        "",
    ]
    runner = CliRunner()
    for path, _cmd in walk(cli, []):
        title = " ".join(["subpipe", *path])
        res = runner.invoke(cli, [*path, "--help"], prog_name="subpipe", terminal_width=100)
        out += [f"## `{title}`", "", "```text", res.output.rstrip(), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
