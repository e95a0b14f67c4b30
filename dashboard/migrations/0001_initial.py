"""The dashboard's models move here from `kelurahan` (issue 12), data untouched: the state is
created over the existing tables (`kelurahan_*`), the content types (and so the permissions
groups hold) are renamed, then the tables are renamed to `dashboard_*`."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["campaign", "kelurahancounter", "report", "representedday"]


def move_content_types(apps, schema_editor, source="kelurahan", target="dashboard"):
    """The permissions groups and users hold follow their model. Content types already made at
    the target (empty, by a migrate back and forth) give way to the ones that hold them."""
    types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    moving = types.filter(app_label=source, model__in=MODELS)
    types.filter(app_label=target, model__in=moving.values("model")).delete()
    moving.update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="dashboard", target="kelurahan")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('kelurahan', '0007_fill_household_counts_and_history'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(move_content_types, move_content_types_back),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='KelurahanCounter',
                    fields=[
                        ('kelurahan', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='counter', serialize=False, to='kelurahan.kelurahan', verbose_name='kelurahan')),
                        ('kk_terwakili', models.PositiveIntegerField(default=0, verbose_name='KK represented')),
                        ('anggota_kepala_keluarga', models.PositiveIntegerField(default=0, verbose_name='heads of household')),
                        ('anggota_aktif', models.PositiveIntegerField(default=0, verbose_name='active members')),
                        ('jumlah_kk', models.PositiveIntegerField(blank=True, null=True, verbose_name='number of households (KK)')),
                        ('kk_per_tanggal', models.DateField(blank=True, null=True, verbose_name='as of')),
                        ('kk_sumber', models.CharField(blank=True, max_length=200, verbose_name='source')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                    ],
                    options={
                        'db_table': 'kelurahan_kelurahancounter',
                        'verbose_name': 'member counter',
                        'verbose_name_plural': 'member counters',
                    },
                ),
                migrations.CreateModel(
                    name='Report',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('region_kode', models.CharField(max_length=13, verbose_name='region code')),
                        ('region_name', models.CharField(max_length=100, verbose_name='region')),
                        ('campaign_name', models.CharField(blank=True, max_length=200, verbose_name='campaign')),
                        ('as_of', models.DateField(verbose_name='figures as of')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='issued at')),
                        ('data', models.JSONField(verbose_name='figures')),
                        ('xlsx', models.BinaryField(verbose_name='XLSX file')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='issued by')),
                    ],
                    options={
                        'db_table': 'kelurahan_report',
                        'verbose_name': 'issued report',
                        'verbose_name_plural': 'issued reports',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Campaign',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=150, verbose_name='name')),
                        ('percent', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)], verbose_name='target (percent of households)')),
                        ('starts_on', models.DateField(verbose_name='starts on')),
                        ('deadline', models.DateField(verbose_name='deadline')),
                        ('wilayah_kode', models.CharField(blank=True, help_text='Every kelurahan of this province (64), regency/city (64.71) or kecamatan (64.71.05).', max_length=8, validators=[django.core.validators.RegexValidator('^\\d{2}(\\.\\d{2}){0,2}$')], verbose_name='region code')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('kelurahan', models.ManyToManyField(blank=True, help_text='Further kelurahan, beside those of the region code.', related_name='campaigns', to='kelurahan.kelurahan', verbose_name='kelurahan')),
                    ],
                    options={
                        'db_table': 'kelurahan_campaign',
                        'verbose_name': 'target campaign',
                        'verbose_name_plural': 'target campaigns',
                        'ordering': ['-starts_on', '-pk'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('deadline__gt', models.F('starts_on'))), name='kelurahan_campaign_deadline_after_start'), models.CheckConstraint(condition=models.Q(('percent__gte', 1), ('percent__lte', 100)), name='kelurahan_campaign_percent_1_100')],
                    },
                ),
                migrations.CreateModel(
                    name='RepresentedDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(verbose_name='day')),
                        ('kk_terwakili', models.PositiveIntegerField(verbose_name='KK represented')),
                        ('change', models.IntegerField(verbose_name='change')),
                        ('kelurahan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='represented_days', to='kelurahan.kelurahan', verbose_name='kelurahan')),
                    ],
                    options={
                        'db_table': 'kelurahan_representedday',
                        'verbose_name': 'KK represented on a day',
                        'verbose_name_plural': 'KK represented by day',
                        'indexes': [models.Index(fields=['day'], include=('kelurahan', 'change'), name='kelurahan_representedday_day')],
                        'constraints': [models.UniqueConstraint(fields=('kelurahan', 'day'), name='kelurahan_representedday_one_per_day')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='kelurahancounter', table=None),
        migrations.AlterModelTable(name='report', table=None),
        migrations.AlterModelTable(name='campaign', table=None),
        migrations.AlterModelTable(name='representedday', table=None),
    ]
