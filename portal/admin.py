"""Representatives on the member's admin page, and the review of change requests."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from alliance.kernel.private_files import image_response
from alliance.kernel.translated import columns
from members.admin import MemberAdmin as BaseMemberAdmin
from members.models import Member, Sector

from .forms import ReviewForm
from .models import ChangeRequest, Representative, RequestStatus
from .services import (
    change_request_approve,
    change_request_reject,
    representative_invite,
)


class RepresentativeInlineForm(forms.ModelForm):
    """A new row invites a person by email; existing rows show who represents the member."""

    email = forms.EmailField(
        label=_("email"),
        required=False,
        help_text=_("They receive a link to choose a password, valid for a few days."),
    )

    class Meta:
        model = Representative
        fields = ["language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            return cleaned
        email = cleaned.get("email")
        if not email:
            if "email" not in self.errors:
                self.add_error("email", _("Give the address of the person to invite."))
            return cleaned
        existing = get_user_model().objects.filter(email__iexact=email).first()
        if existing is not None and (existing.is_staff or existing.is_superuser):
            self.add_error(
                "email",
                _(
                    "This address belongs to a staff account; representatives need an "
                    "address of their own."
                ),
            )
        elif (
            existing is not None
            and self.instance.member_id
            and Representative.objects.filter(
                user=existing, member_id=self.instance.member_id
            ).exists()
        ):
            self.add_error("email", _("This person already represents this member."))
        return cleaned

    def save(self, commit=True):
        if self.instance.pk:
            return super().save(commit)
        try:
            return representative_invite(
                member=self.instance.member,
                email=self.cleaned_data["email"],
                language=self.cleaned_data["language"],
                invited_by=self.invited_by,
                site_url=self.site_url,
            )
        except ValidationError as error:
            # Checked in clean(); a race between two managers ends here.
            raise forms.ValidationError(error.messages) from error


class RepresentativeInline(admin.TabularInline):
    model = Representative
    form = RepresentativeInlineForm
    fields = ["email", "language", "password_chosen", "last_login", "created_at"]
    readonly_fields = ["password_chosen", "last_login", "created_at"]
    extra = 1
    verbose_name = _("representative")
    verbose_name_plural = _(
        "Representatives (they keep the profile through the member portal; "
        "delete a row to take their access away)"
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type(
            "InviteForm",
            (formset.form,),
            {
                "invited_by": request.user,
                "site_url": request.build_absolute_uri("/").rstrip("/"),
            },
        )
        return formset

    @admin.display(description=_("password chosen"), boolean=True)
    def password_chosen(self, obj):
        return obj.pk is not None and obj.user.has_usable_password()

    @admin.display(description=_("last sign-in"))
    def last_login(self, obj):
        if obj.pk is None or obj.user.last_login is None:
            return "-"
        return formats.localize(timezone.localtime(obj.user.last_login))


# The member's page gains its representatives: the portal extends the members
# app's admin, the members app knows nothing of the portal.
admin.site.unregister(Member)


@admin.register(Member)
class MemberAdmin(BaseMemberAdmin):
    inlines = [*BaseMemberAdmin.inlines, RepresentativeInline]

    def get_inline_instances(self, request, obj=None):
        # Representatives are invited to a member that exists, from its page.
        inlines = super().get_inline_instances(request, obj)
        if obj is None:
            return [i for i in inlines if not isinstance(i, RepresentativeInline)]
        return inlines


@admin.register(Representative)
class RepresentativeAdmin(admin.ModelAdmin):
    list_display = ["user_email", "member", "language", "created_at", "invited_by"]
    list_filter = ["language"]
    search_fields = ["user__email", *columns("member__name")]
    list_select_related = ["user", "member", "invited_by"]
    fields = ["user_email", "member", "language", "invited_by", "created_at"]
    readonly_fields = ["user_email", "member", "invited_by", "created_at"]

    def has_add_permission(self, request):
        # Invited from the member's page, which sends the invitation.
        return False

    @admin.display(description=_("email"), ordering="user__email")
    def user_email(self, obj):
        return obj.user.email


class StatusFilter(admin.SimpleListFilter):
    """Requests waiting for review first: the list opens on them."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*RequestStatus.choices, ("all", _("All"))]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or RequestStatus.PENDING) == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value}
                ),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or RequestStatus.PENDING
        if value == "all":
            return queryset
        if value not in RequestStatus.values:
            return queryset.none()
        return queryset.filter(status=value)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    """Review: each changed field side by side, then approve or reject with a message."""

    list_display = [
        "member",
        "kind",
        "status",
        "submitted_by",
        "created_at",
        "reviewed_by",
        "reviewed_at",
    ]
    list_filter = [StatusFilter, "kind"]
    search_fields = [*columns("member__name"), "member__slug"]
    list_select_related = ["member", "submitted_by", "reviewed_by"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # A request is never edited here: it is approved or rejected (may_review).
        return False

    def get_urls(self):
        return [
            path(
                "<int:object_id>/proposed-logo/",
                self.admin_site.admin_view(self.proposed_logo_view),
                name="portal_changerequest_proposed_logo",
            ),
            *super().get_urls(),
        ]

    def proposed_logo_view(self, request, object_id):
        """The proposed logo, from the private files, to those who may see the request."""
        change_request = get_object_or_404(ChangeRequest, pk=object_id)
        if not self.has_view_permission(request, change_request):
            raise PermissionDenied
        return image_response(change_request.logo)

    def may_review(self, request):
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change_request = get_object_or_404(
            ChangeRequest.objects.select_related("member", "submitted_by"),
            pk=object_id if str(object_id).isdigit() else None,
        )
        if not self.has_view_permission(request, change_request):
            raise PermissionDenied
        form = ReviewForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if not self.may_review(request):
                raise PermissionDenied
            decision = request.POST.get("decision")
            if form.is_valid() and decision in ("approve", "reject"):
                site_url = request.build_absolute_uri("/").rstrip("/")
                try:
                    if decision == "approve":
                        change_request_approve(
                            change_request=change_request,
                            reviewed_by=request.user,
                            message=form.cleaned_data["message"],
                            overwrite_conflicts=form.cleaned_data[
                                "overwrite_conflicts"
                            ],
                            site_url=site_url,
                        )
                        self.message_user(
                            request,
                            _(
                                "Approved: the member's profile is updated and public now."
                            ),
                        )
                    else:
                        change_request_reject(
                            change_request=change_request,
                            reviewed_by=request.user,
                            message=form.cleaned_data["message"],
                            site_url=site_url,
                        )
                        self.message_user(
                            request, _("Rejected: the representative is told why.")
                        )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    return redirect("admin:portal_changerequest_changelist")
            elif decision not in ("approve", "reject"):
                form.add_error(None, _("Choose to approve or to reject the request."))
            status = 400
        rows = change_request.diff()
        sector_names = dict(Sector.objects.values_list("slug", "name"))
        for row in rows:
            row.display = {
                key: _display(row, getattr(row, key), sector_names, change_request)
                for key in ("old", "new", "current")
            }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "change_request": change_request,
            "rows": rows,
            "conflicts": any(row.conflict for row in rows),
            "form": form,
            "may_review": change_request.is_pending and self.may_review(request),
            "title": _("Change request for %(member)s")
            % {"member": change_request.member},
        }
        return TemplateResponse(
            request, "admin/portal/changerequest/review.html", context, status=status
        )


def _display(row, value, sector_names, change_request):
    """How the review shows a value: text, sector names, or a logo's address."""
    if row.column == "sectors":
        return ", ".join(sector_names.get(slug, slug) for slug in value or []) or "-"
    if row.column == "logo":
        if not value:
            return None
        if value == change_request.logo.name:
            return reverse(
                "admin:portal_changerequest_proposed_logo", args=[change_request.pk]
            )
        return default_storage.url(value)
    return value
