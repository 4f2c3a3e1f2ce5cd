"""The database columns of translated fields, named by modeltranslation.

modeltranslation keeps a translated field such as `title` in one column per
language (`title_en`, `title_zh_hans`) and shows the current language's text,
falling back to the others in its `resolution_order`. Code that reads the
columns itself (`.only()`, `.values()`, search fields, serializers that skip
the per-access fallback) names them here, with modeltranslation's own
utilities, so the naming rule and the fallback order live in one place.

(Not called `translation.py`: modeltranslation imports every app's module of
that name to register the translated fields.)
"""

from modeltranslation.utils import (
    build_localized_fieldname,
    get_language,
    get_translation_fields,
    resolution_order,
)


def columns(*names):
    """The columns of translated fields in every language, for `.only()` and `.values()`.

    `columns("title", "field__name")` gives title_en, title_zh_hans,
    field__name_en, field__name_zh_hans: a page shows the current language
    and falls back to the other, so it needs both.
    """
    return get_translation_fields(*names)


def column(name, language=None):
    """The column of a translated field in one language (by default the active one)."""
    return build_localized_fieldname(name, language or get_language())


def languages(language=None):
    """The languages to show a translated text in: the active (or given) one, then the fallbacks."""
    return resolution_order(language or get_language())


def columns_in_order(name, language=None):
    """The columns of a translated field in the order a page tries them (see `languages`)."""
    return [build_localized_fieldname(name, code) for code in languages(language)]
