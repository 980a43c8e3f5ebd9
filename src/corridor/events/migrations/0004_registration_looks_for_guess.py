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
    ]
