"""Reader-facing text of the news app, in every configured language."""

from modeltranslation.translator import TranslationOptions, register

from .models import Article, Tag


@register(Tag)
class TagTranslation(TranslationOptions):
    fields = ("name",)


@register(Article)
class ArticleTranslation(TranslationOptions):
    fields = ("title", "summary", "body", "cover_alt", "byline", "source_name")
