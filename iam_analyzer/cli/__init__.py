"""Command line: one small module per command group; each parses arguments, calls a stage
(iam_analyzer.stages or the library it wraps) and renders the result."""

from __future__ import annotations

import click

from iam_analyzer import __version__
from iam_analyzer.cli.errors import SafeGroup


@click.group(cls=SafeGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


def _register() -> None:
    from iam_analyzer.cli import analyze, apply, audit, check, generate, graph, new_role, policy, report, scan, usage

    for command in (policy.lint, policy.actions, policy.catalog, scan.scan, scan.inventory, usage.usage,
                    generate.generate, graph.graph, analyze.analyze, analyze.rules_group, check.check,
                    new_role.new_role_command, report.report, audit.audit, audit.demo, apply.apply, apply.rollback):
        main.add_command(command)


_register()
