"""Reader-facing text of registration forms, in every configured language."""

from modeltranslation.translator import TranslationOptions, register

from .models import Question, RegistrationSettings


@register(RegistrationSettings)
class RegistrationSettingsTranslation(TranslationOptions):
    fields = ("privacy_notice",)


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("label", "choices")
