"""Starter value-chain relations (staff edit them in the admin)."""

from django.db import migrations

# input HS prefix -> output HS prefix, note
RELATIONS = [
    ("5001", "5002", "silkworm cocoons → raw silk"),
    ("5002", "5004", "raw silk → silk yarn"),
    ("5002", "5006", "raw silk → silk yarn for retail sale"),
    ("5002", "5007", "raw silk → woven silk fabric (weavers who throw their own yarn)"),
    ("5004", "5007", "silk yarn → woven silk fabric"),
    ("5006", "5007", "silk yarn → woven silk fabric"),
    ("5007", "61", "silk fabric → knitted garments"),
    ("5007", "62", "silk fabric → garments"),
    ("5007", "6304", "silk fabric → furnishing articles"),
    ("1006", "1902", "rice → rice noodles"),
    ("1006", "1904", "rice → rice crackers and puffed rice"),
    ("1006", "2208", "rice → rice spirits"),
    ("1801", "1803", "cocoa beans → cocoa paste"),
    ("1803", "1804", "cocoa paste → cocoa butter"),
    ("1803", "1805", "cocoa paste → cocoa powder"),
    ("1803", "1806", "cocoa paste → chocolate"),
    ("0901", "2101", "coffee beans → instant coffee and extracts"),
    ("0714", "1108", "cassava → starch"),
    ("1108", "1903", "starch → tapioca"),
    ("4001", "4011", "natural rubber → tyres"),
    ("4001", "4015", "natural rubber → gloves"),
    ("5201", "5205", "cotton → cotton yarn"),
    ("5205", "5208", "cotton yarn → woven cotton fabric"),
    ("5208", "62", "cotton fabric → garments"),
    ("4403", "4407", "logs → sawn wood"),
    ("4407", "9403", "sawn wood → furniture"),
    ("1401", "4602", "bamboo and rattan → basketwork"),
    ("0801", "1513", "coconuts → coconut oil"),
    ("0902", "2101", "tea → tea extracts"),
    ("0306", "1605", "shrimp → prepared shrimp"),
    ("0302", "1604", "fish → prepared fish"),
    ("0804", "2007", "mangoes → jams and purées"),
    ("0804", "0813", "mangoes → dried fruit"),
    ("1701", "1704", "sugar → confectionery"),
    ("2507", "6913", "kaolin clay → ceramic ornaments"),
    ("2507", "6912", "kaolin clay → ceramic tableware"),
]


def add(apps, schema_editor):
    HsRelation = apps.get_model("matching", "HsRelation")
    HsRelation.objects.bulk_create(
        [HsRelation(input_code=i, output_code=o, note=n) for i, o, n in RELATIONS],
        ignore_conflicts=True,
    )


def remove(apps, schema_editor):
    HsRelation = apps.get_model("matching", "HsRelation")
    for i, o, _n in RELATIONS:
        HsRelation.objects.filter(input_code=i, output_code=o).delete()


class Migration(migrations.Migration):
    dependencies = [("matching", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
