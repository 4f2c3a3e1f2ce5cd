"""Once dropped the trigram indexes an earlier migration made; both are empty now
(see that migration)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("members", "0006_directory_order")]

    operations = []
