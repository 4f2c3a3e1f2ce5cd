from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """The alliance's own content: scenarios, events, initiatives and site pages.

    Its label stays "alliance", the app these models have always been in: the
    tables, migrations, permissions and URL names keep their names.
    """

    name = "alliance.content"
    label = "alliance"
    verbose_name = _("Alliance")
    public_content = True

    def ready(self):
        from alliance.content import models
        from alliance.kernel.history import track

        # Versions with who, when and each field's before and after. After
        # modeltranslation's ready(), so the per-language columns are versioned.
        track(models.Scenario, m2m_fields=["members"])
        track(models.Event, m2m_fields=["members"])
        track(models.Initiative, m2m_fields=["participants"])
        track(models.Page)
