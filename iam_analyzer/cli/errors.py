"""The top of the command line: a crash is never mistaken for a verdict.

Exit codes (README, "Exit codes"): 0 fine, 1 findings (or a policy that could not be
verified), 2 input unusable (a file, an argument, credentials, an output that cannot be
written), 3 internal error (a bug in iam-analyzer: please report it).

Any exception a command did not handle is caught here: one line on stderr saying what and
where to report it, the traceback only with -v, exit 3. Input and output errors that reach
the top (``InputError``, ``OutputError``) are exit 2 with their one-line message.
"""

from __future__ import annotations

import errno
import sys
import traceback

import click

EXIT_INTERNAL = 3
# EIO: a kernel file given as the standard output (`> /proc/version`) refuses the write
_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO}
ISSUES_URL = "https://github.com/iam-analyzer/iam-analyzer/issues"


def _verbose(args: list[str]) -> bool:
    import os

    if os.environ.get("IAM_ANALYZER_TRACEBACK"):
        return True
    for a in args:
        if a == "--":
            break
        if a == "--verbose" or (a.startswith("-v") and set(a[1:]) == {"v"}):
            return True
    return False


class SafeGroup(click.Group):
    """A click group whose ``main`` turns unexpected exceptions into exit 3."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=standalone_mode, **extra)
        try:
            rv = super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
            # without standalone mode click returns ctx.exit(code)'s code (--help, --version) instead
            # of exiting; a command itself returns None. Exit as click's standalone mode would.
            sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else 0)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(130)
        except KeyboardInterrupt:
            click.echo("iam-analyzer: interrupted", err=True)
            sys.exit(130)
        except SystemExit as e:
            code = _flush_stdout()  # before the interpreter's own flush, which could only exit 120
            if code is not None:
                sys.exit(code)
            raise e
        except BrokenPipeError:
            sys.exit(0)
        except Exception as e:  # noqa: BLE001 - the one place every other error ends
            sys.exit(report_exception(e, _verbose(argv)))


def _stdout_to_devnull() -> None:
    """What is left in the buffer cannot be written: drop it, so the final flush succeeds."""
    import os

    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def _flush_stdout() -> int | None:
    """Flush the standard output now; an output that refuses the write (a full disk,
    ``> /proc/version``) is exit 2 with one line, a closed pipe keeps the command's code."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_to_devnull()
    except OSError as e:
        if e.errno not in _WRITE_ERRNOS:
            raise
        from iam_analyzer.outputs import reason

        _stdout_to_devnull()
        click.echo(f"iam-analyzer: cannot write the standard output: {reason(e)}", err=True)
        return 2
    except ValueError:  # closed by the command
        pass
    return None


def report_exception(e: BaseException, verbose: bool) -> int:
    from iam_analyzer.inputs import InputError
    from iam_analyzer.outputs import OutputError

    if isinstance(e, (InputError, OutputError)):
        click.echo(f"iam-analyzer: {e}", err=True)
        return 2
    if isinstance(e, OSError) and e.errno in _WRITE_ERRNOS:
        from iam_analyzer.outputs import reason

        where = f" {e.filename}" if e.filename else " the standard output"
        if not e.filename:  # what stays in its buffer would fail again at the interpreter's exit (120)
            _stdout_to_devnull()
        click.echo(f"iam-analyzer: cannot write{where}: {reason(e)}", err=True)
        return 2
    if isinstance(e, MemoryError):
        click.echo("iam-analyzer: out of memory: the input is too large for this machine", err=True)
        return 2
    if verbose:
        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
    first = (str(e).strip().splitlines() or [""])[0][:200]
    what = f"{type(e).__name__}: {first}" if first else type(e).__name__
    hint = "" if verbose else " (run with -v, or IAM_ANALYZER_TRACEBACK=1, for the traceback)"
    click.echo(f"iam-analyzer: internal error: {what}; please report it at {ISSUES_URL}{hint}", err=True)
    return EXIT_INTERNAL
