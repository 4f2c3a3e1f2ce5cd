from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_countries.fields import Country
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm
from modeltranslation.admin import TabbedTranslationAdmin

from alliance.kernel.admin import HistoryMixin, PrivateFieldsMixin, PublishActionsMixin
from alliance.kernel.translated import columns

from .models import (
    ApplicationStatus,
    ImportStatus,
    Member,
    MemberImport,
    MembershipApplication,
    Sector,
    Tier,
)
from .resources import (
    ADMIN_ROW_LIMIT,
    BACKGROUND_MEGABYTES,
    BACKGROUND_ROW_LIMIT,
    MemberResource,
    column_problems,
    import_problems,
)
from .services import (
    application_approve,
    application_reject,
    member_import_queue,
    member_import_run_again,
)
from .spreadsheets import SafeCSV, SafeXLSX

THUMBNAIL_BOX = 48  # pixels: the logo column of the member list
PRIVATE_FIELDS = ["contact_name", "contact_email", "contact_phone", "internal_notes"]


@admin.register(Tier)
class TierAdmin(PublishActionsMixin, TabbedTranslationAdmin):
    list_display = ["name", "slug", "order", "status"]
    list_editable = ["order"]
    search_fields = [*columns("name"), "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Sector)
class SectorAdmin(PublishActionsMixin, TabbedTranslationAdmin):
    list_display = ["name", "slug", "order", "status"]
    list_editable = ["order"]
    search_fields = [*columns("name"), "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class MemberImportForm(ImportForm):
    """The import form: a short file is checked here, a long one goes to a worker.

    Up to ADMIN_ROW_LIMIT rows the stock dry run and confirmation follow.
    A longer file (up to BACKGROUND_ROW_LIMIT rows and BACKGROUND_MEGABYTES)
    whose columns are right is marked `in_background`: the admin queues it
    (`member_import_queue`). Longer still, the command imports it.
    """

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.in_background = False
        self.rows = 0

    def clean(self):
        cleaned = super().clean()
        upload, chosen = cleaned.get("import_file"), cleaned.get("format")
        if upload is None or chosen in (None, ""):
            return cleaned
        if upload.size > BACKGROUND_MEGABYTES * 1024 * 1024:
            self.add_error("import_file", self._too_large())
            return cleaned
        file_format = self.formats[int(chosen)]()
        data = upload.read()
        upload.seek(0)
        try:
            # Counted, not read: an XLSX file's rows are not made into cells here.
            headers, rows = file_format.headers_and_length(data)
        except Exception:
            # Unreadable: the import itself says so, as for any file.
            return cleaned
        if rows <= ADMIN_ROW_LIMIT:
            return cleaned
        if rows > BACKGROUND_ROW_LIMIT:
            self.add_error("import_file", self._too_large(rows))
            return cleaned
        problems = column_problems(headers)
        for problem in problems:
            self.add_error("import_file", problem)
        if not problems:
            self.in_background = True
            self.rows = rows
            self.format_name = "xlsx" if isinstance(file_format, SafeXLSX) else "csv"
        return cleaned

    def _too_large(self, rows=None):
        limits = {
            "rows": BACKGROUND_ROW_LIMIT,
            "megabytes": BACKGROUND_MEGABYTES,
        }
        if rows is None:
            message = _(
                "This file is larger than %(megabytes)s MB, the most the admin "
                "takes. Import it on the server with "
                "“manage.py import_members FILE --dry-run”, then without "
                "--dry-run, or split it into smaller files."
            )
        else:
            message = _(
                "This file has %(count)s rows; the admin imports at most %(rows)s "
                "at a time. Import it on the server with "
                "“manage.py import_members FILE --dry-run”, then without "
                "--dry-run, or split it into smaller files."
            )
        return message % {**limits, "count": rows}


class CountryFilter(admin.SimpleListFilter):
    """The countries the listed records have, by name; not every country in the world."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = (
            model_admin.model._default_manager.order_by()
            .values_list("country", flat=True)
            .distinct()
        )
        return sorted(
            ((code, Country(code).name) for code in codes if code),
            key=lambda choice: str(choice[1]),
        )

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(country=self.value())
        return queryset


class EnglishTextFilter(admin.SimpleListFilter):
    """Members whose English text is still to be written (applied in Chinese)."""

    title = _("English text")
    parameter_name = "english"

    def lookups(self, request, model_admin):
        return [("missing", _("Needs English"))]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.missing_english()
        return queryset


@admin.register(Member)
class MemberAdmin(
    PrivateFieldsMixin,
    PublishActionsMixin,
    ImportExportMixin,
    HistoryMixin,
    TabbedTranslationAdmin,
):
    # Editors may view members, to link content to them; the contacts and
    # notes are for the membership managers who keep them.
    private_fields = PRIVATE_FIELDS
    resource_classes = [MemberResource]
    formats = [SafeCSV, SafeXLSX]
    import_form_class = MemberImportForm
    import_template_name = "admin/members/member/import.html"
    list_display = [
        "logo_thumbnail",
        "name",
        "tier",
        "sector_list",
        "country",
        "status",
        "last_verified_on",
        "needs_english",
    ]
    list_display_links = ["logo_thumbnail", "name"]
    list_filter = ["status", EnglishTextFilter, "tier", "sectors", CountryFilter]
    search_fields = [*columns("name", "short_name"), "slug", "city_en"]
    prepopulated_fields = {"slug": ["name_en"]}
    autocomplete_fields = ["sectors", "tier"]
    list_select_related = ["tier"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "slug", "status", "tier", "sectors"]}),
        (_("Logo"), {"fields": ["logo", "logo_alt"]}),
        (_("Where"), {"fields": ["country", "city", "website"]}),
        (_("Profile"), {"fields": ["summary", "capability", "description"]}),
        (
            _("Membership"),
            {"fields": ["joined_on", "joined_where", "last_verified_on"]},
        ),
        (
            _("Private (never shown publicly)"),
            {"fields": PRIVATE_FIELDS},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sectors")

    def create_import_form(self, request):
        # One form per request: the file is read once, by whichever asks first.
        form = getattr(request, "member_import_form", None)
        if form is None:
            form = request.member_import_form = super().create_import_form(request)
        return form

    def import_action(self, request, **kwargs):
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            if form.is_valid() and form.in_background:
                record = member_import_queue(
                    upload=form.cleaned_data["import_file"],
                    file_format=form.format_name,
                    rows=form.rows,
                    user=request.user,
                    site_url=request.build_absolute_uri("/").rstrip("/"),
                    language=translation.get_language(),
                )
                self.message_user(
                    request,
                    _(
                        "The file has %(rows)s rows: it is being imported in the "
                        "background, with the same checks. This page shows how it "
                        "ends, and you will get an email."
                    )
                    % {"rows": record.rows},
                )
                return redirect("admin:members_memberimport_change", record.pk)
        # Every problem of the dry run, in one table of row, column and reason.
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is None:
            return response
        context["row_limit"] = ADMIN_ROW_LIMIT
        context["background_row_limit"] = BACKGROUND_ROW_LIMIT
        context["background_megabytes"] = BACKGROUND_MEGABYTES
        if context.get("result") is not None:
            context["problems"] = import_problems(context["result"], MemberResource())
        return response

    def get_history_hidden_fields(self, request):
        # As in the form: the private fields' changes only for who keeps them.
        if self.has_change_permission(request):
            return ()
        return PRIVATE_FIELDS

    def has_import_permission(self, request):
        # An import adds and changes members, so it takes both permissions
        # (django-import-export alone would let any staff user in).
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        # The export holds the private contacts: not for users who may only view members.
        return self.has_change_permission(request)

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj):
        # The small rendition, made on save: a list of members would otherwise
        # load every original upload (up to 2 MB each). Its size, fitted into
        # the column, keeps the logo's proportions and the rows from jumping.
        if not obj.logo_small:
            return "-"
        width = obj.logo_small_width or THUMBNAIL_BOX
        height = obj.logo_small_height or THUMBNAIL_BOX
        scale = min(1, THUMBNAIL_BOX / max(width, height))
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}" class="admin-logo">',
            obj.logo_small.url,
            max(1, round(width * scale)),
            max(1, round(height * scale)),
        )

    @admin.display(description=_("needs English"), boolean=True)
    def needs_english(self, obj):
        return obj.needs_english

    @admin.display(description=_("sectors"))
    def sector_list(self, obj):
        return ", ".join(sector.name for sector in obj.sectors.all())


class RejectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Recorded with the application. Write it so it can be shared with the applicant."
        ),
    )


@admin.register(MembershipApplication)
class MembershipApplicationAdmin(PrivateFieldsMixin, admin.ModelAdmin):
    """Review of applications: approve creates an unpublished member; reject records why."""

    private_fields = [
        "contact_name",
        "contact_email",
        "contact_phone",
        "message",
        "rejection_reason",
    ]

    list_display = [
        "organization_name",
        "country",
        "contact_email",
        "status",
        "language",
        "created_at",
        "reviewed_by",
    ]
    list_filter = ["status", "language", CountryFilter, "sectors"]
    search_fields = ["organization_name", "contact_name", "contact_email"]
    date_hierarchy = "created_at"
    actions = ["approve_selected"]
    readonly_fields = [
        "organization_name", "short_name", "website", "country", "city", "sectors", "tier_requested",
        "capability", "description", "contact_name", "contact_email", "contact_phone", "message",
        "status", "rejection_reason", "reviewed_by", "reviewed_at", "member_link", "language",
        "created_at",
    ]  # fmt: skip
    exclude = ["member"]
    change_form_template = "admin/members/membershipapplication/change_form.html"

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("member created"))
    def member_link(self, obj):
        if not obj.member_id:
            return "-"
        url = reverse("admin:members_member_change", args=[obj.member_id])
        return format_html('<a href="{}">{}</a>', url, obj.member)

    def get_urls(self):
        return [
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="members_membershipapplication_approve",
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="members_membershipapplication_reject",
            ),
            *super().get_urls(),
        ]

    def _review(self, request, pk):
        application = get_object_or_404(MembershipApplication, pk=pk)
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        return application

    def approve_view(self, request, pk):
        application = self._review(request, pk)
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "application": application,
                "title": _("Approve the application of %(name)s")
                % {"name": application.organization_name},
            }
            return TemplateResponse(
                request, "admin/members/membershipapplication/approve.html", context
            )
        try:
            member = application_approve(
                application=application, reviewed_by=request.user
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect("admin:members_membershipapplication_change", pk)
        self.message_user(
            request,
            _("Approved: an unpublished member was created. Check it and publish it."),
        )
        return redirect("admin:members_member_change", member.pk)

    def reject_view(self, request, pk):
        application = self._review(request, pk)
        form = RejectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                application_reject(
                    application=application,
                    reviewed_by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("The application was rejected."))
            return redirect("admin:members_membershipapplication_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "application": application,
            "form": form,
            "title": _("Reject the application of %(name)s")
            % {"name": application.organization_name},
        }
        return TemplateResponse(
            request, "admin/members/membershipapplication/reject.html", context
        )

    @admin.action(
        description=_("Approve selected applications"), permissions=["change"]
    )
    def approve_selected(self, request, queryset):
        approved = 0
        for application in queryset.filter(status=ApplicationStatus.PENDING):
            application_approve(application=application, reviewed_by=request.user)
            approved += 1
        self.message_user(
            request,
            _("%(count)d applications approved; their members wait unpublished.")
            % {"count": approved},
        )


@admin.register(MemberImport)
class MemberImportAdmin(admin.ModelAdmin):
    """The imports a worker ran or runs: who, when, which file, and what came of it.

    Read-only, for those who may import members (add and change them).
    """

    list_display = [
        "file_name",
        "created_by",
        "created_at",
        "rows",
        "import_status",
        "new",
        "updated",
        "skipped",
        "problem_count",
    ]
    list_filter = ["status"]
    date_hierarchy = "created_at"
    fields = [
        "file_name",
        "file_format",
        "rows",
        "created_by",
        "created_at",
        "import_status",
        "started_at",
        "finished_at",
        "new",
        "updated",
        "skipped",
    ]
    readonly_fields = fields
    change_form_template = "admin/members/memberimport/change_form.html"
    actions = ["run_again"]

    def _may_import(self, request):
        return request.user.has_perm("members.add_member") and request.user.has_perm(
            "members.change_member"
        )

    # Running an interrupted import again takes what importing takes.
    has_import_permission = _may_import

    def get_urls(self):
        return [
            path(
                "<int:pk>/run-again/",
                self.admin_site.admin_view(self.run_again_view),
                name="members_memberimport_run_again",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("status"), ordering="status")
    def import_status(self, obj):
        if obj.is_abandoned:
            return _("Interrupted")
        return obj.get_status_display()

    def _run_again(self, request, records):
        site_url = request.build_absolute_uri("/").rstrip("/")
        return sum(
            member_import_run_again(record=record, site_url=site_url)
            for record in records
        )

    @method_decorator(require_POST)
    def run_again_view(self, request, pk):
        if not self._may_import(request):
            raise PermissionDenied
        record = get_object_or_404(MemberImport, pk=pk)
        if self._run_again(request, [record]):
            self.message_user(request, _("The import is queued again."))
        else:
            self.message_user(
                request,
                _("Only an interrupted import can be run again."),
                messages.WARNING,
            )
        return redirect("admin:members_memberimport_change", pk)

    @admin.action(
        description=_("Run the selected interrupted imports again"),
        permissions=["import"],
    )
    def run_again(self, request, queryset):
        count = self._run_again(request, queryset.abandoned())
        self.message_user(
            request,
            ngettext(
                "%(count)d import is queued again.",
                "%(count)d imports are queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_module_permission(self, request):
        return self._may_import(request)

    def has_view_permission(self, request, obj=None):
        return self._may_import(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("problems"))
    def problem_count(self, obj):
        return len(obj.problems)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["problems"] = obj.problems
            context["import_finished"] = obj.is_finished
            context["import_failed"] = obj.status == ImportStatus.FAILED
            context["import_abandoned"] = obj.is_abandoned
            context["abandoned_minutes"] = settings.MEMBER_IMPORT_ABANDONED_MINUTES
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)
