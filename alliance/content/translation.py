"""Reader-facing text of the alliance's own content, in every configured language."""

from modeltranslation.translator import TranslationOptions, register

from alliance.content.models import (
    Event,
    Field,
    Initiative,
    Page,
    Participation,
    Scenario,
)


@register(Field)
class FieldTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Event)
class EventTranslation(TranslationOptions):
    fields = ("name", "summary", "description", "city", "venue")


@register(Scenario)
class ScenarioTranslation(TranslationOptions):
    fields = ("title", "summary", "description", "region", "image_alt")


@register(Initiative)
class InitiativeTranslation(TranslationOptions):
    fields = ("name", "summary", "description", "participants_note")


@register(Participation)
class ParticipationTranslation(TranslationOptions):
    fields = ("organization",)
    # Required in the default language only; the other falls back to it.
    required_languages = ("en",)


@register(Page)
class PageTranslation(TranslationOptions):
    fields = ("title", "summary", "body")
