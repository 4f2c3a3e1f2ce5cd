from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MembershipApplication, Sector, Tier


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

    website = forms.URLField(
        label=_("website"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = MembershipApplication
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

    def clean_website_url_confirm(self):
        if self.cleaned_data.get("website_url_confirm"):
            raise forms.ValidationError(_("This form could not be accepted."))
        return ""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and any(
                ord(c) < 32 and c not in "\r\n\t" for c in value
            ):
                self.add_error(
                    name, _("Remove the control characters from this field.")
                )
        return cleaned
