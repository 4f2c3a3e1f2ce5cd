from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin

from alliance.admin_mixins import PublishActionsMixin

from .models import Member, MembershipApplication, Sector, Tier


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
class MemberAdmin(PublishActionsMixin, TabbedTranslationAdmin):
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
            {
                "fields": [
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                    "internal_notes",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sectors")

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj):
        if not obj.logo:
            return "-"
        return format_html(
            '<img src="{}" alt="" width="48" height="48" class="admin-logo">',
            obj.logo.url,
        )

    @admin.display(description=_("sectors"))
    def sector_list(self, obj):
        return ", ".join(sector.name for sector in obj.sectors.all())


@admin.register(MembershipApplication)
class MembershipApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "organization_name",
        "country",
        "contact_email",
        "status",
        "created_at",
    ]
    list_filter = ["status", "country"]
    search_fields = ["organization_name", "contact_name", "contact_email"]
    date_hierarchy = "created_at"
