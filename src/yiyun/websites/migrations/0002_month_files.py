"""Archive files hold a month's days: `day` becomes the range `first_day`..`last_day`.

Files written before this were one day each, sorted by client IP.
"""

from django.db import migrations, models


def copy_first_day(apps, schema_editor):
    for name in ("ArchiveFile", "ManifestEntry"):
        model = apps.get_model("websites", name)
        model.objects.update(last_day=models.F("first_day"))


class Migration(migrations.Migration):
    dependencies = [("websites", "0001_initial")]

    operations = [
        migrations.RemoveIndex(model_name="archivefile", name="archivefile_website_day"),
        migrations.RenameField(model_name="archivefile", old_name="day", new_name="first_day"),
        migrations.RenameField(model_name="manifestentry", old_name="day", new_name="first_day"),
        migrations.AlterField(
            model_name="archivefile",
            name="first_day",
            field=models.DateField(verbose_name="首日"),
        ),
        migrations.AlterField(
            model_name="manifestentry",
            name="first_day",
            field=models.DateField(verbose_name="首日"),
        ),
        migrations.AddField(
            model_name="archivefile",
            name="last_day",
            field=models.DateField(null=True, verbose_name="末日"),
        ),
        migrations.AddField(
            model_name="manifestentry",
            name="last_day",
            field=models.DateField(null=True, verbose_name="末日"),
        ),
        migrations.RunPython(copy_first_day, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="archivefile",
            name="last_day",
            field=models.DateField(verbose_name="末日"),
        ),
        migrations.AlterField(
            model_name="manifestentry",
            name="last_day",
            field=models.DateField(verbose_name="末日"),
        ),
        migrations.AddField(
            model_name="archivefile",
            name="ip_sorted",
            field=models.BooleanField(default=True, verbose_name="按 IP 排序"),
            preserve_default=False,
        ),
        migrations.AlterModelOptions(
            name="archivefile",
            options={
                "ordering": ["website", "first_day", "path"],
                "verbose_name": "归档文件",
                "verbose_name_plural": "归档文件",
            },
        ),
        migrations.AddIndex(
            model_name="archivefile",
            index=models.Index(fields=["website", "last_day"], name="archivefile_website_last_day"),
        ),
    ]
