from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TabbedTranslationAdmin, TranslationTabularInline

from . import exports, services
from .models import Question, Registration, RegistrationSettings, Status


class QuestionInline(TranslationTabularInline):
    model = Question
    fields = ["order", "label", "kind", "choices", "required"]
    extra = 1


@admin.register(RegistrationSettings)
class RegistrationSettingsAdmin(TabbedTranslationAdmin):
    """Which events take registrations, and how: one row of settings per event."""

    list_display = [
        "event",
        "opens_at",
        "closes_at",
        "capacity",
        "waitlist",
        "approval",
        "places",
        "check_in_link",
    ]
    autocomplete_fields = ["event"]
    search_fields = ["event__name_en", "event__name_zh_hans", "event__slug"]
    inlines = [QuestionInline]
    fieldsets = [
        (None, {"fields": ["event", "opens_at", "closes_at"]}),
        (_("Places"), {"fields": ["capacity", "waitlist", "approval"]}),
        (
            _("Questions asked besides name and email"),
            {"fields": ["ask_organization", "ask_title", "ask_phone", "ask_country"]},
        ),
        (_("Privacy"), {"fields": ["privacy_notice", "retention_days"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            site_url = request.build_absolute_uri("/").rstrip("/")
            promoted = services.fill_free_places(obj.event, site_url=site_url)
            if promoted:
                self.message_user(
                    request,
                    ngettext(
                        "%(n)d person on the waiting list is now confirmed, and told.",
                        "%(n)d people on the waiting list are now confirmed, and told.",
                        len(promoted),
                    )
                    % {"n": len(promoted)},
                    messages.SUCCESS,
                )

    @admin.display(description=_("confirmed / capacity"))
    def places(self, obj):
        confirmed = Registration.objects.filter(
            event_id=obj.pk, status=Status.CONFIRMED
        ).count()
        return f"{confirmed} / {obj.capacity}" if obj.capacity else str(confirmed)

    @admin.display(description=_("check-in"))
    def check_in_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("registrations:check-in", kwargs={"slug": obj.event.slug}),
            _("Open the door"),
        )


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    """Registrants, seen only by Event staff and superusers (nothing here is public)."""

    list_display = [
        "name",
        "email",
        "organization",
        "event",
        "status",
        "member",
        "created_at",
        "checked_in_at",
    ]
    list_filter = [
        "status",
        "event",
        "language",
        ("checked_in_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["name", "email", "organization"]
    date_hierarchy = "created_at"
    list_select_related = ["event", "member"]
    readonly_fields = [
        "event",
        "member",
        "status",
        "created_at",
        "updated_at",
        "cancelled_at",
        "checked_in_at",
        "checked_in_by",
        "anonymized_at",
        "manage_link",
    ]
    fields = [
        "event",
        "status",
        "name",
        "email",
        "organization",
        "title",
        "phone",
        "country",
        "language",
        "answers",
        "member",
        "created_at",
        "updated_at",
        "cancelled_at",
        "checked_in_at",
        "checked_in_by",
        "anonymized_at",
        "manage_link",
    ]
    actions = [
        "approve_selected",
        "decline_selected",
        "cancel_selected",
        "export_csv",
        "export_xlsx",
        "badges_pdf",
    ]

    def has_add_permission(self, request):
        # Registrations come through the form, where places are counted.
        return False

    @admin.display(description=_("registrant's private link"))
    def manage_link(self, obj):
        if not obj.pk or obj.anonymized_at:
            return "—"
        url = obj.get_manage_url()
        return format_html('<a href="{}">{}</a>', url, _("Open as the registrant"))

    def _site_url(self, request):
        return request.build_absolute_uri("/").rstrip("/")

    @admin.action(
        description=_("Approve the selected registrations"), permissions=["change"]
    )
    def approve_selected(self, request, queryset):
        done = services.decide(
            queryset.select_related("event"),
            approve=True,
            site_url=self._site_url(request),
        )
        self.message_user(
            request,
            ngettext(
                "Approved %(n)d registration.", "Approved %(n)d registrations.", done
            )
            % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Decline the selected registrations"), permissions=["change"]
    )
    def decline_selected(self, request, queryset):
        done = services.decide(
            queryset.select_related("event"),
            approve=False,
            site_url=self._site_url(request),
        )
        self.message_user(
            request,
            ngettext(
                "Declined %(n)d registration.", "Declined %(n)d registrations.", done
            )
            % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Cancel the selected registrations (the waiting list moves up)"),
        permissions=["change"],
    )
    def cancel_selected(self, request, queryset):
        promoted = 0
        for registration in queryset.select_related("event"):
            promoted += len(
                services.cancel(registration, site_url=self._site_url(request))
            )
        self.message_user(
            request,
            _("Cancelled. Confirmed from the waiting list: %(n)d.") % {"n": promoted},
            messages.SUCCESS,
        )

    def _download(self, content, content_type, extension):
        response = HttpResponse(content, content_type=content_type)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="registrations-{stamp}.{extension}"'
        )
        return response

    @admin.action(description=_("Export the selected as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._download(
            exports.registrations_csv(queryset), "text/csv; charset=utf-8", "csv"
        )

    @admin.action(description=_("Export the selected as XLSX"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return self._download(
            exports.registrations_xlsx(queryset),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )

    @admin.action(
        description=_("Name badges of the selected (PDF, A4 labels)"),
        permissions=["view"],
    )
    def badges_pdf(self, request, queryset):
        return self._download(
            exports.badges_pdf(queryset.exclude(status=Status.CANCELLED)),
            "application/pdf",
            "pdf",
        )
