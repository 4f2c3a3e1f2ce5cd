from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationForm

from alliance.kernel.images import validate_logo
from alliance.kernel.tasks import enqueue_on_commit
from members.forms import LongTextField, has_control_characters
from members.models import Member, Sector

from . import emails
from .models import CONTACT_FIELDS, Representative, editable_columns

# Characters the long texts may hold, as the join form counts them.
TEXT_LIMITS = {"capability": 3000, "description": 5000}
LANGUAGE_NAMES = {"en": _("English"), "zh-hans": _("Chinese")}


class PortalLoginForm(OTPAuthenticationForm):
    """A representative's sign-in; the one-time code is asked of those who set one up.

    Django's authenticate() runs with the request, so django-axes counts
    failures and locks out exactly as on the admin's sign-in.
    """

    error_messages = {
        **OTPAuthenticationForm.error_messages,
        "not_representative": _(
            "This account does not represent a member organization. Staff sign "
            "in through the administration."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email address")
        self.fields["otp_token"].label = _("One-time code (only if you set one up)")
        self.fields["otp_token"].widget.attrs.update(autocomplete="one-time-code")
        # Chosen automatically: most people have one authenticator.
        for name in ("otp_device", "otp_challenge"):
            self.fields.pop(name, None)

    def clean_username(self):
        # Representatives sign in with their address; their user name may differ.
        username = self.cleaned_data["username"]
        users = get_user_model().objects.filter(email__iexact=username)
        if len(found := list(users[:2])) == 1:
            return found[0].get_username()
        return username

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_staff or not Representative.objects.of_user(user).exists():
            raise forms.ValidationError(
                self.error_messages["not_representative"], code="not_representative"
            )

    def clean_otp(self, user):
        if user is not None and not user_has_device(user):
            return
        super().clean_otp(user)

    def _chosen_device(self, user):
        devices = list(devices_for_user(user))
        return devices[0] if len(devices) == 1 else None


class PortalPasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, for representatives only, writing through portal.emails."""

    def get_users(self, email):
        # Representatives who have not chosen a password yet may ask again;
        # staff never reset a password here.
        return (
            get_user_model()
            .objects.filter(
                email__iexact=email,
                is_active=True,
                is_staff=False,
                is_superuser=False,
                representations__isnull=False,
            )
            .distinct()
        )

    def save(self, *, site_url, **kwargs):
        for user in self.get_users(self.cleaned_data["email"]):
            enqueue_on_commit(
                emails.send_password_reset, user_id=user.pk, site_url=site_url
            )


def _label(model_field, code):
    return f"{model_field.verbose_name} ({LANGUAGE_NAMES.get(code, code)})"


class ProfileForm(forms.Form):
    """Every field a representative may change, in each language, pre-filled."""

    logo = forms.ImageField(
        label=_("New logo"),
        required=False,
        # The admin's checks: a real PNG, JPEG, WebP or GIF, within size limits.
        validators=[validate_logo],
        widget=forms.FileInput(
            attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}
        ),
        help_text=_(
            "PNG, JPEG, WebP or GIF, at most 2 MB. Leave empty to keep the current logo."
        ),
    )
    note = LongTextField(
        label=_("Note to the secretariat"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        fields = {}
        for column in editable_columns():
            if column == "sectors":
                fields[column] = forms.ModelMultipleChoiceField(
                    label=_("Sectors"),
                    queryset=Sector.objects.published(),
                    to_field_name="slug",
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
                continue
            model_field = Member._meta.get_field(column)
            language = getattr(model_field, "language", None)
            base = Member._meta.get_field(
                model_field.translated_field.name if language else column
            )
            field = model_field.formfield(required=False)
            if language:
                field.label = _label(base, language)
                field.widget.attrs["lang"] = language
            name = base.name
            if name in TEXT_LIMITS:
                field = LongTextField(
                    label=field.label,
                    required=False,
                    max_length=TEXT_LIMITS[name],
                    widget=forms.Textarea(attrs={"rows": 6, "lang": language or ""}),
                )
                field.help_text = gettext("At most %(limit)s characters.") % {
                    "limit": number_format(TEXT_LIMITS[name], force_grouping=True)
                }
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
            if name == "description":
                field.help_text = f"{gettext('Markdown.')} {field.help_text}"
            if name in CONTACT_FIELDS:
                field.help_text = _("For the secretariat only; never published.")
            fields[column] = field
        # The member's fields first, then the logo and the note.
        self.fields = {**fields, **self.fields}
        for name, field in self.fields.items():
            if name.startswith("name_"):
                field.widget.attrs.setdefault("autocomplete", "organization")

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if not isinstance(value, str):
                continue
            if isinstance(self.fields[name].widget, forms.Textarea):
                if has_control_characters(value, allowed="\r\n\t"):
                    self.add_error(
                        name, _("Remove the control characters from this field.")
                    )
            elif has_control_characters(value):
                self.add_error(
                    name,
                    _(
                        "Write this on one line, without line breaks or control characters."
                    ),
                )
        names = [f"name_{code.replace('-', '_')}" for code, _l in settings.LANGUAGES]
        if not any(cleaned.get(name) for name in names):
            self.add_error(
                names[0], _("Give the organization's name in one language at least.")
            )
        alts = [f"logo_alt_{code.replace('-', '_')}" for code, _l in settings.LANGUAGES]
        if cleaned.get("logo") and not any(cleaned.get(name) for name in alts):
            self.add_error(
                alts[0],
                _("Say what the new logo shows, for readers who cannot see it."),
            )
        return cleaned

    def proposed_values(self):
        """The editable columns as the form leaves them, as a change request stores them."""
        values = {}
        for column in editable_columns():
            value = self.cleaned_data.get(column)
            if column == "sectors":
                values[column] = sorted(sector.slug for sector in value or [])
            else:
                value = value or ""
                if isinstance(value, str):
                    value = value.replace("\r\n", "\n").strip()
                values[column] = value
        return values

    @classmethod
    def initial_from(cls, values):
        return {column: value for column, value in values.items() if column != "logo"}


class ReviewForm(forms.Form):
    message = LongTextField(
        label=_("Message to the representative"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent with the decision. Required when rejecting."),
    )
    overwrite_conflicts = forms.BooleanField(
        label=_("Overwrite the fields changed in the admin since the request was made"),
        required=False,
    )


class TokenForm(forms.Form):
    """The code an authenticator app shows, to confirm that it was set up."""

    token = forms.CharField(
        label=_("The six-digit code your app shows"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self):
        token = "".join(self.cleaned_data["token"].split())
        if not self.device.verify_token(token):
            raise forms.ValidationError(
                _("This code is not right: check the time on your phone and try again.")
            )
        return token


class PasswordCheckForm(forms.Form):
    """The account's password, asked again before turning the second step off."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password
