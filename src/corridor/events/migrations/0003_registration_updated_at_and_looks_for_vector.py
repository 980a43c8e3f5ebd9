import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_meeting_slot_index_and_representative_checkin"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="registration",
            name="looks_for_vector",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="registration",
            name="looks_for_vector_of",
            field=models.CharField(blank=True, editable=False, max_length=16),
        ),
    ]
