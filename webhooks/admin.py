from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliance.kernel.changes import Kind

from .models import SECRET_OVERLAP, Attempt, Delivery, Endpoint, resource_choices
from .services import deliveries_send_again, endpoint_enable


class EndpointForm(forms.ModelForm):
    resources = forms.MultipleChoiceField(
        label=_("resources"),
        choices=resource_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Endpoint._meta.get_field("resources").help_text,
    )
    kinds = forms.MultipleChoiceField(
        label=_("events"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Endpoint._meta.get_field("kinds").help_text,
    )

    class Meta:
        model = Endpoint
        fields = [
            "partner",
            "url",
            "resources",
            "kinds",
            "contact_email",
            "contact_language",
            "is_active",
        ]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """Partners' webhook endpoints. The secret is shown once, when made or rotated."""

    form = EndpointForm
    list_display = ["partner", "url", "is_active", "failing_since", "disabled_at"]
    list_filter = ["is_active"]
    search_fields = ["partner", "url", "contact_email"]
    readonly_fields = ["failing_since", "disabled_at", "created_at"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/rotate-secret/",
                self.admin_site.admin_view(self.rotate_secret_view),
                name="webhooks_endpoint_rotate_secret",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and obj.is_active:
            endpoint_enable(endpoint=obj)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secret(request, obj, obj.secret)

    def rotate_secret_view(self, request, pk):
        endpoint = get_object_or_404(Endpoint, pk=pk)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        if request.method == "POST":
            return self._show_secret(request, endpoint, endpoint.rotate_secret())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "endpoint": endpoint,
            "overlap_hours": int(SECRET_OVERLAP.total_seconds() // 3600),
            "title": _("Rotate the secret of %(endpoint)s") % {"endpoint": endpoint},
        }
        return TemplateResponse(
            request, "admin/webhooks/endpoint/rotate_secret.html", context
        )

    def _show_secret(self, request, endpoint, secret):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "endpoint": endpoint,
            "secret": secret,
            "title": _("The signing secret of %(endpoint)s") % {"endpoint": endpoint},
        }
        response = TemplateResponse(
            request, "admin/webhooks/endpoint/secret.html", context
        )
        response["Cache-Control"] = "no-store"
        return response


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = [
        "at",
        "succeeded",
        "status_code",
        "duration_ms",
        "error",
        "response_start",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Each event sent to each endpoint, with every attempt (kept 30 days)."""

    list_display = [
        "event",
        "endpoint",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["state", "endpoint", "event__resource", "event__kind"]
    search_fields = ["event__slug", "endpoint__partner"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "event",
        "endpoint",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["send_again"]

    def get_urls(self):
        return [
            path(
                "<int:pk>/send-again/",
                self.admin_site.admin_view(self.send_again_view),
                name="webhooks_delivery_send_again",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False

    @admin.action(
        description=_("Send the selected deliveries again"), permissions=["change"]
    )
    def send_again(self, request, queryset):
        count = deliveries_send_again(deliveries=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent again.",
                "%(count)d deliveries will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def send_again_view(self, request, pk):
        delivery = get_object_or_404(Delivery, pk=pk)
        if request.method != "POST" or not self.has_change_permission(
            request, delivery
        ):
            raise PermissionDenied
        deliveries_send_again(deliveries=[delivery])
        self.message_user(request, _("The delivery will be sent again."))
        return redirect("admin:webhooks_delivery_change", pk)
