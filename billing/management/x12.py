"""What the commands that read one X12 file share (``import_835``, ``import_999``,
``import_277ca``): the FILE and ``--json`` arguments, reading the file as ASCII with a
plain sentence for a missing, unreadable or non-X12 file, the service's refusal as a
``CommandError`` that says nothing changed, and ``--json`` printing the result's one
object. Each command says only what differs: its help, the service it calls and how it
tells the user what happened."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


def read_x12(path: Path) -> str:
    """The text of an X12 file; a ``CommandError`` naming the problem when it cannot be
    read or holds a byte that is not ASCII."""
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise CommandError(f"No such file: {path}.") from None
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not an X12 file: byte {error.start} is not ASCII.") from None
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None


class X12ImportCommand(BaseCommand):
    file_kind = "X12"  # "The <file_kind> file." in the FILE argument's help
    refused = (Exception,)  # the service's errors for a file it refuses
    nothing_done = "nothing changed"  # "<name> was refused, <nothing_done>. <why>"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE", help=f"The {self.file_kind} file.")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, file: str, as_json: bool = False, **options) -> None:
        path = Path(file)
        text = read_x12(path)
        try:
            result = self.run(text=text, file_name=path.name)
        except self.refused as error:
            raise CommandError(f"{path.name} was refused, {self.nothing_done}. {error}") from None
        if as_json:
            self.stdout.write(json.dumps(result.as_json()))
        else:
            self.report(result)

    def run(self, *, text: str, file_name: str):
        """Import the file's ``text``; the result has ``as_json()``."""
        raise NotImplementedError

    def report(self, result) -> None:
        """Tell the user what the import did (without --json)."""
        raise NotImplementedError
