from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_registration_updated_at_and_looks_for_vector"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="looks_for_guess",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="registration",
            name="offers_guess",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="registration",
            name="offers_guess_of",
            field=models.CharField(blank=True, editable=False, max_length=16),
        ),
    ]
