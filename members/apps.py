from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    public_content = True
    verbose_name = _("Members")

    def ready(self):
        from alliance.kernel.history import track

        from .models import Member

        # Versions with who, when and each field's before and after. After
        # modeltranslation's ready(), so the per-language columns are versioned.
        track(Member, m2m_fields=["sectors"])
