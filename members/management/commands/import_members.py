"""Import members from a CSV or XLSX file of any length, with the admin's checks."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from members.resources import MemberResource, import_problems
from members.spreadsheets import SafeCSV, SafeXLSX

# Read as the admin reads them (every row of a sheet, whatever its dimension says).
FORMATS = {".csv": SafeCSV, ".xlsx": SafeXLSX}
PROGRESS_EVERY = 500  # rows


class ProgressResource(MemberResource):
    """The admin's resource, telling how far it got every PROGRESS_EVERY rows."""

    def __init__(self, *, report, total, **kwargs):
        super().__init__(**kwargs)
        self.report, self.total, self.done = report, total, 0

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        self.done += 1
        if self.done % PROGRESS_EVERY == 0 or self.done == self.total:
            self.report(self.done, self.total)


class Command(BaseCommand):
    help = (
        "Import members from a CSV or XLSX file (the columns of the admin's "
        "import). Every row is checked first; a file with any bad row changes "
        "nothing, and the problems are listed with their row and column."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A .csv (UTF-8) or .xlsx file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, without changing anything.",
        )

    def handle(self, *args, file, dry_run, **options):
        file_format = FORMATS.get(file.suffix.lower())
        if file_format is None:
            raise CommandError(f"{file}: give a .csv or .xlsx file.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}.") from error
        try:
            dataset = file_format().create_dataset(
                data if file_format is SafeXLSX else data.decode("utf-8-sig")
            )
        except Exception as error:
            raise CommandError(
                f"{file}: cannot read it as {file.suffix[1:].upper()}: {error}"
            ) from error

        def report(done, total):
            self.stderr.write(f"\r{done:,} of {total:,} rows checked", ending="")
            if done == total:
                self.stderr.write("")
            self.stderr.flush()

        resource = ProgressResource(report=report, total=len(dataset))
        result = resource.import_data(
            dataset, dry_run=dry_run, raise_errors=False, use_transactions=True
        )
        problems = import_problems(result, resource)
        if problems:
            for problem in problems:
                where = f"row {problem.row}" if problem.row else "file"
                column = f", column {problem.column}" if problem.column else ""
                self.stdout.write(f"{where}{column}: {problem.message}")
            raise CommandError(
                f"{len(problems)} problem(s) in {file}: nothing was imported."
            )
        totals = result.totals
        summary = (
            f"{totals['new']} new, {totals['update']} updated, "
            f"{totals['skip']} unchanged"
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing changed: {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
