import unicodedata

from django import forms
from django.core import validators
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.kernel.links import WebAddressFormField

from .models import MembershipApplication, Sector, Tier

# Characters the long answers of the join form may hold: room for what the
# secretariat needs, and a bound on what one submission can store or mail.
TEXT_LIMITS = {"capability": 3000, "description": 5000, "message": 3000}


class TextLengthValidator(validators.MaxLengthValidator):
    """A length limit that counts a line break (CR LF) as one character.

    That is how a browser's `maxlength` counts it, though it sends two: a
    text the browser let through is never refused for being too long.
    """

    def clean(self, x):
        return len(x.replace("\r\n", "\n"))


class LongTextField(forms.CharField):
    """The text of a textarea, limited to `max_length` characters as the browser counts them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            TextLengthValidator(validator.limit_value)
            if type(validator) is validators.MaxLengthValidator
            else validator
            for validator in self.validators
        ]


def formfield_with_limits(model_field, **kwargs):
    if model_field.name in TEXT_LIMITS:
        kwargs.update(
            form_class=LongTextField, max_length=TEXT_LIMITS[model_field.name]
        )
    return model_field.formfield(**kwargs)


class MembershipApplicationForm(forms.ModelForm):
    """The public application to join.

    `website_url_confirm` is a honeypot: hidden from people (and from screen
    readers), but bots that fill every field fill it too.
    """

    website_url_confirm = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    website = WebAddressFormField(
        label=_("website"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = MembershipApplication
        formfield_callback = formfield_with_limits
        fields = [
            "organization_name",
            "short_name",
            "website",
            "country",
            "city",
            "sectors",
            "tier_requested",
            "capability",
            "description",
            "contact_name",
            "contact_email",
            "contact_phone",
            "message",
        ]
        widgets = {
            "sectors": forms.CheckboxSelectMultiple,
            "capability": forms.Textarea(attrs={"rows": 4}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "message": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "capability": _(
                "What your organization would bring to the alliance: products, data, expertise."
            ),
            "contact_email": _(
                "We write to this address about your application. It is never published."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are sent as slugs: readable, and no huge number can reach the database as an id.
        self.fields["sectors"].queryset = Sector.objects.published()
        self.fields["sectors"].to_field_name = "slug"
        self.fields["tier_requested"].queryset = Tier.objects.published()
        self.fields["tier_requested"].to_field_name = "slug"
        self.fields["tier_requested"].empty_label = _("No preference")
        # Say the limit, since the browser stops the typing (or cuts a paste) there.
        for name, limit in TEXT_LIMITS.items():
            field = self.fields[name]
            note = gettext("At most %(limit)s characters.") % {
                "limit": number_format(limit, force_grouping=True)
            }
            field.help_text = f"{field.help_text} {note}" if field.help_text else note

    def clean_website_url_confirm(self):
        if self.cleaned_data.get("website_url_confirm"):
            raise forms.ValidationError(_("This form could not be accepted."))
        return ""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if not isinstance(value, str):
                continue
            if isinstance(self.fields[name].widget, forms.Textarea):
                # Paragraphs belong in the longer texts; other control characters do not.
                if has_control_characters(value, allowed="\r\n\t"):
                    self.add_error(
                        name, _("Remove the control characters from this field.")
                    )
            elif has_control_characters(value):
                # A name, a city or a phone number is one line; it may end up in a mail subject.
                self.add_error(
                    name,
                    _(
                        "Write this on one line, without line breaks or control characters."
                    ),
                )
        return cleaned


def has_control_characters(value, *, allowed=""):
    """Whether the text holds control characters or line separators, other than `allowed`."""
    return any(
        unicodedata.category(c) in ("Cc", "Zl", "Zp") and c not in allowed
        for c in value
    )
