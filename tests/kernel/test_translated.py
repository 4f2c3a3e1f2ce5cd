from django.utils import translation

from alliance.kernel.translated import column, columns, columns_in_order, languages
from news.models import Article


def test_columns_name_every_language_of_each_field_as_the_model_has_them():
    assert columns("title", "field__name") == [
        "title_en",
        "title_zh_hans",
        "field__name_en",
        "field__name_zh_hans",
    ]
    model_columns = {field.attname for field in Article._meta.concrete_fields}
    assert set(columns("title", "summary", "body")) <= model_columns


def test_the_active_language_comes_first_then_the_fallbacks():
    with translation.override("zh-hans"):
        assert column("title") == "title_zh_hans"
        assert languages() == ("zh-hans", "en")
        assert columns_in_order("summary") == ["summary_zh_hans", "summary_en"]
    with translation.override("en"):
        assert column("title") == "title_en"
        assert columns_in_order("summary") == ["summary_en", "summary_zh_hans"]
    # A language the site does not have reads the default language's column.
    with translation.override("fr"):
        assert column("title") == "title_en"
    assert column("title", "zh-hans") == "title_zh_hans"
