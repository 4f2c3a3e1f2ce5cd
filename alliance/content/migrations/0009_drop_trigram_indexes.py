"""Once dropped the trigram indexes an earlier migration made; both are empty now
(see that migration)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("alliance", "0008_scenario_image_renditions")]

    operations = []
