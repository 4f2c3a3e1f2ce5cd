from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from members.forms import has_control_characters

from .models import QuestionKind

# The longest answer a registrant can give to an event's own question.
LONG_ANSWER = 2000
SHORT_ANSWER = 200


class PlainSelect(forms.Select):
    """A select of many options (the countries), written directly rather than through a template per option.

    The same HTML as Django's Select, several times faster: the form is
    what a rush of registrants loads first.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        value = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (code, mark_safe(" selected") if str(code) == value else "", label)
                for code, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class RegistrationForm(forms.Form):
    """An event's form: the standard questions the settings ask, then the event's own.

    `website_url_confirm` is a honeypot, as on the join form: hidden from
    people and screen readers, filled by bots that fill every field.
    """

    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("Your confirmation and ticket are sent here."),
    )
    organization = forms.CharField(
        label=_("Organization"), max_length=200, required=False
    )
    title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    country = forms.ChoiceField(
        label=_("Country or region"),
        choices=[],
        required=False,
        widget=PlainSelect,
    )
    language = forms.ChoiceField(
        label=_("Language of our emails"), choices=settings.LANGUAGES
    )
    website_url_confirm = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice above and agree to it."),
    )

    STANDARD = ("organization", "title", "phone", "country")

    def __init__(self, *args, registration_settings, with_email=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.registration_settings = registration_settings
        self.fields["language"].initial = get_language() or settings.LANGUAGE_CODE
        self.fields["country"].choices = [("", "—"), *countries]
        for name in self.STANDARD:
            if not getattr(registration_settings, f"ask_{name}"):
                del self.fields[name]
        if not with_email:
            for name in ("email", "website_url_confirm", "consent"):
                del self.fields[name]
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "email"
        if "organization" in self.fields:
            self.fields["organization"].widget.attrs["autocomplete"] = "organization"
        if "phone" in self.fields:
            self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.questions = list(registration_settings.questions.all())
        for question in self.questions:
            self.fields[question.field_name] = self._question_field(question)
        # The agreement comes last, after the event's own questions.
        if "consent" in self.fields:
            self.fields["consent"] = self.fields.pop("consent")
            self.fields["consent"].label_suffix = ""

    @staticmethod
    def _question_field(question):
        common = {"label": question.label, "required": question.required}
        if question.kind == QuestionKind.LONG_TEXT:
            return forms.CharField(
                max_length=LONG_ANSWER,
                widget=forms.Textarea(attrs={"rows": 3}),
                **common,
            )
        if question.kind == QuestionKind.CHOICE:
            return forms.ChoiceField(
                choices=[("", "—"), *((c, c) for c in question.choice_list())],
                **common,
            )
        if question.kind == QuestionKind.YES_NO:
            return forms.TypedChoiceField(
                choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))], **common
            )
        if question.kind == QuestionKind.NUMBER:
            return forms.IntegerField(min_value=0, max_value=1_000_000, **common)
        return forms.CharField(max_length=SHORT_ANSWER, **common)

    def clean_website_url_confirm(self):
        if self.cleaned_data.get("website_url_confirm"):
            raise forms.ValidationError(_("This form could not be accepted."))
        return ""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if not isinstance(value, str):
                continue
            textarea = isinstance(self.fields[name].widget, forms.Textarea)
            if has_control_characters(value, allowed="\r\n\t" if textarea else ""):
                self.add_error(
                    name,
                    _("Remove the line breaks and control characters from this field.")
                    if not textarea
                    else _("Remove the control characters from this field."),
                )
        return cleaned

    def registrant_data(self):
        """The standard answers, as the registration stores them."""
        names = ["name", "email", *self.STANDARD]
        return {
            name: self.cleaned_data[name].strip()
            if isinstance(self.cleaned_data[name], str)
            else self.cleaned_data[name]
            for name in names
            if name in self.fields
        }

    def answers(self):
        """The event's own questions and their answers, by question id."""
        return {
            str(question.pk): self.cleaned_data.get(question.field_name)
            for question in self.questions
            if self.cleaned_data.get(question.field_name) not in (None, "")
        }

    @classmethod
    def initial_for(cls, registration):
        initial = {
            name: getattr(registration, name)
            for name in ("name", "organization", "title", "phone", "language")
        }
        initial["country"] = registration.country.code or ""
        for key, value in registration.answers.items():
            initial[f"question_{key}"] = value
        return initial


class ManualSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or email"), max_length=100, min_length=2)
