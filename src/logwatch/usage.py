"""Unusable arguments: one line on standard error and exit status 2, for every command.

argparse's own error() prints the whole usage text before its message; a script reading
standard error wants the reason alone (README: "a one-line reason on standard error")."""

from __future__ import annotations

import argparse
from typing import NoReturn


class UsageError(Exception):
    """Unusable arguments or input: exit 2 with this message."""


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are a UsageError naming where the full usage is."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")
