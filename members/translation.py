"""Reader-facing text of the members app, in every configured language."""

from modeltranslation.translator import TranslationOptions, register

from .models import Member, Sector, Tier


@register(Tier)
class TierTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Sector)
class SectorTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Member)
class MemberTranslation(TranslationOptions):
    fields = (
        "name",
        "short_name",
        "logo_alt",
        "city",
        "joined_where",
        "capability",
        "summary",
        "description",
    )
