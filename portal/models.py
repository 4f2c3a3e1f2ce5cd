"""Representatives of member organizations, and the changes they propose.

Never public: no page, API, feed or export shows them. A representative is a
site user (never staff) linked to one or more members; what they propose is a
change request that membership managers review in the admin as a diff.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from alliance.kernel.images import validate_logo
from alliance.kernel.private_files import private_storage
from alliance.kernel.translated import columns
from members.models import Member

# What a representative may change, by the member's field name. Translated
# fields are proposed in every language (name_en, name_zh_hans...).
TRANSLATED_FIELDS = [
    "name",
    "short_name",
    "summary",
    "description",
    "capability",
    "city",
    "logo_alt",
]
PLAIN_FIELDS = ["website"]
# Private: kept for the secretariat, never shown publicly.
CONTACT_FIELDS = ["contact_name", "contact_email", "contact_phone"]


def language_suffix(code):
    """The ending of a translated field's column in a language (`_zh_hans`)."""
    return build_localized_fieldname("", code)


def editable_columns():
    """The member's columns a change request holds, translated ones in each language."""
    return [
        *columns(*TRANSLATED_FIELDS),
        *PLAIN_FIELDS,
        "sectors",
        *CONTACT_FIELDS,
    ]


def member_values(member):
    """What a change request compares: the editable columns, sectors as sorted slugs."""
    values = {}
    for column in editable_columns():
        if column == "sectors":
            values[column] = sorted(member.sectors.values_list("slug", flat=True))
        else:
            values[column] = getattr(member, column) or ""
    values["logo"] = member.logo.name or ""
    return values


class RepresentativeQuerySet(models.QuerySet):
    def of_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user, user__is_active=True)

    def with_members(self):
        """Each with the member represented and its tier, in the same query."""
        return self.select_related("member__tier")


class Representative(models.Model):
    """A person who may propose changes to a member's profile through the portal."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="representations",
        verbose_name=_("user"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="representatives",
        verbose_name=_("member"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Emails to the representative are written in this language."),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)

    objects = RepresentativeQuerySet.as_manager()

    class Meta:
        ordering = ["member", "created_at"]
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "member"], name="representative_once_per_member"
            ),
        ]

    def __str__(self):
        return f"{self.user.email} ({self.member})"


class RequestKind(models.TextChoices):
    CHANGE = "change", _("Change of the profile")
    VERIFICATION = "verification", _("Confirmation that nothing changed")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=RequestStatus.PENDING)


def proposed_logo_path(instance, filename):
    # In the private files, never served: a proposed logo is not public until
    # approved (the review shows it to staff through the admin).
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"portal/proposed-logos/{uuid.uuid4().hex}/logo{suffix}"


class ChangeRequest(models.Model):
    """A representative's proposed change to a member's profile, or a confirmation.

    `proposed` holds every editable column as the representative left it;
    `original` the same columns as they were when the request was made, so
    that the review can tell what the representative changed from what the
    secretariat changed meanwhile (a conflict).
    """

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="change_requests",
        verbose_name=_("member"),
    )
    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=RequestKind.choices,
        default=RequestKind.CHANGE,
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RequestStatus.choices,
        default=RequestStatus.PENDING,
        db_index=True,
    )
    proposed = models.JSONField(_("proposed values"), default=dict, blank=True)
    original = models.JSONField(_("values when proposed"), default=dict, blank=True)
    logo = models.ImageField(
        _("proposed logo"),
        upload_to=proposed_logo_path,
        storage=private_storage,
        max_length=255,
        blank=True,
        validators=[validate_logo],
    )
    note = models.TextField(_("note to the secretariat"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The representative is told of the decision in this language."),
    )
    review_message = models.TextField(_("message to the representative"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        constraints = [
            # One open request per member: a second would be reviewed
            # against a profile the first is about to change.
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status="pending"),
                name="change_request_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(review_message=""),
                name="change_request_rejection_has_message",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.get_kind_display()} · {self.created_at:%Y-%m-%d}"

    @property
    def is_pending(self):
        return self.status == RequestStatus.PENDING

    @property
    def is_verification(self):
        return self.kind == RequestKind.VERIFICATION

    def changed_columns(self):
        """The columns the representative changed, in the form's order."""
        if self.is_verification:
            return []
        return [
            column
            for column in editable_columns()
            if column in self.proposed
            and self.proposed[column] != self.original.get(column, "")
        ]

    def diff(self):
        """The review's rows: each changed column's old, new and current value.

        A row is a conflict when the member's record changed in the admin
        after the request was made, so that approving would overwrite it.
        """
        current = member_values(self.member)
        rows = []
        for column in self.changed_columns():
            rows.append(
                DiffRow(
                    column=column,
                    old=self.original.get(column, ""),
                    new=self.proposed[column],
                    current=current[column],
                )
            )
        if self.logo and not self.is_verification:
            rows.append(
                DiffRow(
                    column="logo",
                    old=self.original.get("logo", ""),
                    new=self.logo.name,
                    current=current["logo"],
                )
            )
        return rows


class DiffRow:
    """One changed column of a change request, as the review shows it."""

    def __init__(self, *, column, old, new, current):
        self.column, self.old, self.new, self.current = column, old, new, current

    @property
    def conflict(self):
        return self.current != self.old and self.current != self.new

    @property
    def field_name(self):
        for code, _label in settings.LANGUAGES:
            suffix = language_suffix(code)
            if self.column.endswith(suffix):
                return self.column[: -len(suffix)]
        return self.column

    @property
    def language(self):
        """The language of a translated column (its code), or ""."""
        for code, _label in settings.LANGUAGES:
            if self.column.endswith(language_suffix(code)):
                return code
        return ""

    @property
    def language_name(self):
        return dict(settings.LANGUAGES).get(self.language, "")

    @property
    def label(self):
        field = Member._meta.get_field(self.field_name)
        return str(field.verbose_name)
