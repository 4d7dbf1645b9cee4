"""Command line: one small module per command group; each parses arguments, calls a stage
(iam_analyzer.stages or the library it wraps) and renders the result."""

from __future__ import annotations

import click

from iam_analyzer import __version__
from iam_analyzer.cli.errors import SafeGroup


# Every command, by the module that defines it: a command's module (and what it imports) is
# loaded only when that command runs, so `lint` never pays for the SAM translator or the
# graph. `--help` of the group loads them all for their one-line help.
_COMMANDS = {
    "lint": ("policy", "lint"), "actions": ("policy", "actions"), "catalog": ("policy", "catalog"),
    "scan": ("scan", "scan"), "inventory": ("scan", "inventory"), "usage": ("usage", "usage"),
    "generate": ("generate", "generate"), "graph": ("graph", "graph"), "analyze": ("analyze", "analyze"),
    "rules": ("analyze", "rules_group"), "check": ("check", "check"), "new-role": ("new_role", "new_role_command"),
    "report": ("report", "report"), "audit": ("audit", "audit"), "demo": ("audit", "demo"),
    "apply": ("apply", "apply"), "rollback": ("apply", "rollback"),
}


class LazyGroup(SafeGroup):
    def list_commands(self, ctx) -> list[str]:
        return sorted(set(_COMMANDS) | set(self.commands))

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            import importlib

            module, attr = _COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(f"iam_analyzer.cli.{module}"), attr), cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="iam-analyzer")
def main() -> None:
    """Least-privilege AWS Lambda execution roles, with evidence.

    \b
    Start with:
      iam-analyzer demo                      the whole audit on an embedded demo account
      iam-analyzer audit -o DIR              the whole audit on your account (read-only)
      iam-analyzer lint policy.json          validate IAM policies
      iam-analyzer check infra/ --base main  the CI gate on templates and plans
      iam-analyzer actions 's3:Get*'         expand action patterns
    """
