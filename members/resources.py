"""Spreadsheet import and export of members (CSV and XLSX) for the admin.

Rows are matched on `slug`, so a re-import updates members instead of
duplicating them. Tier and sectors are given by slug (sectors separated by
`;`). The whole import runs in one transaction: a file with any bad row
changes nothing, and the dry run lists every problem of every row (as the
spreadsheet numbers its rows, with the column and the reason): an unknown
tier, sector or country is reported, never silently dropped. The admin
checks files of up to ADMIN_ROW_LIMIT rows in one request; larger ones are
imported by a worker (a `MemberImport` records the result), and the
largest go through `manage.py import_members`; all run the same checks.

Tiers, sectors and the file's existing members are read once per import
(`before_import`), not once per row: the rows then cost only their own
writes. Answers are the same as the per-row lookups would give: an unknown
tier is the same error, an unknown sector slug is an error too, and a
slug that appears on several rows is looked up afresh after its first row.
"""

import dataclasses

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django_countries import countries
from import_export import fields, resources, widgets

from alliance.kernel.history import history_of
from alliance.kernel.translated import columns

from .models import Member, Sector, Tier
from .spreadsheets import unescape_formula

# Rows the admin checks in one request; a larger file is imported by a
# worker (members.services.member_import_queue), up to BACKGROUND_ROW_LIMIT
# rows and BACKGROUND_MEGABYTES; past those, the command imports it.
ADMIN_ROW_LIMIT = 2000
BACKGROUND_ROW_LIMIT = 50_000
BACKGROUND_MEGABYTES = 5  # as the web server takes (deploy/nginx/site.conf)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong in an import file: `row` as the spreadsheet numbers it (the header is row 1)."""

    row: int | None
    column: str
    message: str


def import_problems(result, resource=None):
    """Every problem of an import's result, in the order of the file's rows."""
    columns = {}
    if resource is not None:
        columns = {
            name: field.column_name
            for name, field in resource.fields.items()
            if field.column_name
        }
        columns.update(
            {
                field.attribute: field.column_name
                for field in resource.fields.values()
                if field.attribute
            }
        )
    problems = [
        Problem(row=None, column="", message=str(error.error))
        for error in result.base_errors
    ]
    for number, errors in result.row_errors():
        for error in errors:
            problems.append(
                Problem(row=number + 1, column="", message=str(error.error))
            )
    for invalid in result.invalid_rows:
        for name, messages in invalid.error_dict.items():
            column = "" if name == NON_FIELD_ERRORS else columns.get(name, name)
            for message in messages:
                problems.append(
                    Problem(row=invalid.number + 1, column=column, message=message)
                )
    return sorted(problems, key=lambda p: (p.row or 0, p.column))


class CachedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A ForeignKeyWidget that finds objects in a dictionary filled once per import."""

    by_key = None

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except self.model.DoesNotExist:
            # A ValueError: the import reports it against this column.
            raise ValueError(
                _("Unknown %(thing)s “%(value)s”.")
                % {"thing": self.model._meta.verbose_name, "value": value}
            ) from None

    def get_instance_by_lookup_fields(self, value, row, **kwargs):
        if self.by_key is None:
            return super().get_instance_by_lookup_fields(value, row, **kwargs)
        try:
            return self.by_key[str(value)]
        except KeyError:
            # The very error a database lookup gives, which the dry run shows.
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            ) from None


class CachedManyToManyWidget(widgets.ManyToManyWidget):
    """A ManyToManyWidget that picks objects from a list read once per import.

    A slug that matches nothing is an error (the stock widget leaves it
    out, so a typo would silently drop a sector); the objects come in the
    model's order, as the stock widget's queryset gives them.
    """

    objects = None

    def clean(self, value, row=None, **kwargs):
        if self.objects is None:
            return super().clean(value, row=row, **kwargs)
        if not value:
            return []
        if isinstance(value, (float, int)):
            keys = {str(int(value))}
        else:
            keys = {key.strip() for key in value.split(self.separator) if key.strip()}
        found = [obj for obj in self.objects if str(getattr(obj, self.field)) in keys]
        unknown = keys - {str(getattr(obj, self.field)) for obj in found}
        if unknown:
            raise ValueError(
                _("Unknown sector: %(values)s.")
                % {"values": ", ".join(f"“{key}”" for key in sorted(unknown))}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        if isinstance(value, list):
            return self.separator.join(str(getattr(item, self.field)) for item in value)
        return super().render(value, obj=obj, **kwargs)


class CountryWidget(widgets.CharWidget):
    """A two-letter ISO country code, in any case and with spaces around it."""

    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip().upper()
        if code and code not in countries:
            raise ValueError(
                _("Unknown country code “%(value)s”: use a two-letter ISO code.")
                % {"value": str(value).strip()[:20]}
            )
        return code


class WrittenManyToManyField(fields.Field):
    """A many-to-many column that, once the import wrote it, reads back what it wrote.

    The diff the admin shows after each row would otherwise query the
    relation again for every row.
    """

    def get_value(self, instance):
        written = getattr(instance, "_imported_m2m", {}).get(self.attribute)
        return written if written is not None else super().get_value(instance)


class MemberResource(resources.ModelResource):
    tier = fields.Field(
        attribute="tier",
        column_name="tier",
        widget=CachedForeignKeyWidget(Tier, field="slug"),
    )
    sectors = WrittenManyToManyField(
        attribute="sectors",
        column_name="sectors",
        widget=CachedManyToManyWidget(Sector, field="slug", separator=";"),
    )
    country = fields.Field(
        attribute="country", column_name="country", widget=CountryWidget()
    )

    class Meta:
        model = Member
        import_id_fields = ["slug"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True
        fields = [
            "slug",
            "status",
            *columns("name", "short_name"),
            "tier",
            "sectors",
            "country",
            *columns("city"),
            "website",
            "joined_on",
            *columns("joined_where", "summary", "capability"),
            "last_verified_on",
            "contact_name",
            "contact_email",
            "contact_phone",
        ]
        export_order = fields

    def __init__(self, *, history_user=None, **kwargs):
        super().__init__(**kwargs)
        # Who the versions of the members are by, where no request says
        # (an import run by a worker for the user who uploaded the file).
        self.history_user = history_user
        # Filled by before_import; None means "ask the database", as stock.
        self.members_by_slug = None
        self.tier_ids = set()
        self.slugs_seen = set()
        self.row_slug_checked = False

    def import_data(self, dataset, **kwargs):
        # A file with a bad row changes nothing, whether the row fails on
        # an error or on a check (which django-import-export would otherwise
        # let the good rows through for).
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, **kwargs)

    def before_import(self, dataset, **kwargs):
        # Inside the import's transaction, so what is read here holds for every row.
        tiers = {str(tier.slug): tier for tier in Tier.objects.all()}
        self.fields["tier"].widget.by_key = tiers
        self.tier_ids = {tier.pk for tier in tiers.values()}
        self.fields["sectors"].widget.objects = list(Sector.objects.all())
        self.members_by_slug = {}
        self.slugs_seen = set()
        if "slug" in (dataset.headers or []):
            slugs = set()
            for value in dataset["slug"]:
                try:
                    slugs.add(self.fields["slug"].widget.clean(value))
                except ValueError:
                    continue
            slugs.discard(None)
            self.members_by_slug = {
                member.slug: member
                # With the tier and sectors that the diff and the
                # unchanged-row check compare.
                for member in self.get_queryset()
                .filter(slug__in=slugs)
                .select_related("tier")
                .prefetch_related("sectors")
            }

    def get_instance(self, instance_loader, row):
        # A slug's first row is answered from the members read with the
        # whole file. A later row of the same slug may follow a row that
        # created or changed that member, so it asks the database.
        self.row_slug_checked = False
        if self.members_by_slug is None or "slug" not in row:
            return super().get_instance(instance_loader, row)
        slug = self.fields["slug"].clean(row)
        if slug in self.slugs_seen:
            return super().get_instance(instance_loader, row)
        self.slugs_seen.add(slug)
        self.row_slug_checked = True
        return self.members_by_slug.get(slug)

    def import_instance(self, instance, row, **kwargs):
        # Sectors are written after the member, but checked with its other
        # columns, so that an unknown one is reported with the row's problems.
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        field = self.fields["sectors"]
        if field.column_name in row:
            try:
                field.clean(row)
            except ValueError as error:
                errors[field.attribute] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def before_import_row(self, row, **kwargs):
        # Our own exports escape formulas with an apostrophe: read them back as written.
        for key, value in row.items():
            row[key] = unescape_formula(value)

    def validate_instance(
        self, instance, import_validation_errors=None, validate_unique=True
    ):
        """Validate as the stock resource does, minus two queries known to pass.

        The tier was read in this transaction, so it exists; and the slug of
        a first row is either free (it matched no member) or the member's own.
        Everything else `full_clean()` checks is still checked.
        """
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if instance.tier_id in self.tier_ids:
            exclude.add("tier")
        try:
            instance.full_clean(
                exclude=exclude,
                validate_unique=validate_unique and not self.row_slug_checked,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        # One version of the member per row, taken once its sectors are saved
        # too (not one for the member and one more for its sectors).
        instance.skip_history_when_saving = True
        super().do_instance_save(instance, is_create)
        instance._created_by_import = is_create

    def save_m2m(self, instance, row, **kwargs):
        waited = hasattr(instance, "skip_history_when_saving")
        try:
            self._save_sectors(instance, row, **kwargs)
        finally:
            if waited:
                del instance.skip_history_when_saving
        if waited:
            history_of(Member).record(
                instance,
                created=getattr(instance, "_created_by_import", False),
                user=self.history_user,
            )

    def _save_sectors(self, instance, row, **kwargs):
        field = self.fields["sectors"]
        if field.column_name not in row or (
            self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs)
        ):
            return super().save_m2m(instance, row, **kwargs)
        sectors = field.clean(row)
        if getattr(instance, "_created_by_import", False):
            # A member this row created has no sectors yet: add them, without
            # first asking which it has (the query `set()` would add).
            if sectors:
                instance.sectors.add(*sectors)
        else:
            instance.sectors.set(sectors)
        instance._imported_m2m = {"sectors": sectors}


def column_problems(headers):
    """What is wrong with a file's header row, as messages (none when it is fine).

    Every column must be one the import knows (a misspelt one would
    otherwise be left out without a word), and `slug`, which matches rows
    to members, must be there.
    """
    known = [field.column_name for field in MemberResource().get_import_fields()]
    headers = [str(header or "").strip() for header in headers or []]
    problems = []
    if "slug" not in headers:
        problems.append(_("The file has no “slug” column."))
    unknown = [header for header in headers if header not in known]
    if unknown:
        problems.append(
            _("Unknown columns: %(unknown)s. The columns are: %(known)s.")
            % {
                "unknown": ", ".join(f"“{header}”" for header in unknown),
                "known": ", ".join(known),
            }
        )
    return problems
