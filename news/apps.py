from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsConfig(AppConfig):
    name = "news"
    public_content = True
    verbose_name = _("News")

    def ready(self):
        from alliance.kernel.history import track

        from .models import Article

        # Versions with who, when and each field's before and after. After
        # modeltranslation's ready(), so the per-language columns are versioned.
        track(Article, m2m_fields=["tags", "members", "scenarios"])
