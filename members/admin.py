from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from modeltranslation.admin import TabbedTranslationAdmin

from alliance.admin_mixins import HistoryMixin, PublishActionsMixin

from .models import ApplicationStatus, Member, MembershipApplication, Sector, Tier
from .resources import MemberResource
from .services import application_approve, application_reject

THUMBNAIL_BOX = 48  # pixels: the logo column of the member list
PRIVATE_FIELDS = ["contact_name", "contact_email", "contact_phone", "internal_notes"]


@admin.register(Tier)
class TierAdmin(PublishActionsMixin, TabbedTranslationAdmin):
    list_display = ["name", "slug", "order", "status"]
    list_editable = ["order"]
    search_fields = ["name_en", "name_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Sector)
class SectorAdmin(PublishActionsMixin, TabbedTranslationAdmin):
    list_display = ["name", "slug", "order", "status"]
    list_editable = ["order"]
    search_fields = ["name_en", "name_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Member)
class MemberAdmin(
    PublishActionsMixin, ImportExportMixin, HistoryMixin, TabbedTranslationAdmin
):
    resource_classes = [MemberResource]
    formats = [CSV, XLSX]
    list_display = [
        "logo_thumbnail",
        "name",
        "tier",
        "sector_list",
        "country",
        "status",
        "last_verified_on",
    ]
    list_display_links = ["logo_thumbnail", "name"]
    list_filter = ["status", "tier", "sectors", "country"]
    search_fields = [
        "name_en",
        "name_zh_hans",
        "short_name_en",
        "short_name_zh_hans",
        "slug",
        "city_en",
    ]
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

    def get_fieldsets(self, request, obj=None):
        # Editors may view members, to link content to them; the contacts
        # and notes are for the membership managers who keep them.
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj) or (
            obj is None and self.has_add_permission(request)
        ):
            return fieldsets
        return [
            (name, options)
            for name, options in fieldsets
            if not set(options["fields"]) & set(PRIVATE_FIELDS)
        ]

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
class MembershipApplicationAdmin(admin.ModelAdmin):
    """Review of applications: approve creates an unpublished member; reject records why."""

    list_display = [
        "organization_name",
        "country",
        "contact_email",
        "status",
        "created_at",
        "reviewed_by",
    ]
    list_filter = ["status", "country", "sectors"]
    search_fields = ["organization_name", "contact_name", "contact_email"]
    date_hierarchy = "created_at"
    actions = ["approve_selected"]
    readonly_fields = [
        "organization_name", "short_name", "website", "country", "city", "sectors", "tier_requested",
        "capability", "description", "contact_name", "contact_email", "contact_phone", "message",
        "status", "rejection_reason", "reviewed_by", "reviewed_at", "member_link", "created_at",
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
