"""Campaigns, counters and reports now belong to the `dashboard` app (its 0001 took over their
tables): removed from this app's state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('kelurahan', '0007_fill_household_counts_and_history'),
        ('dashboard', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='kelurahancounter',
                    name='kelurahan',
                ),
                migrations.RemoveField(
                    model_name='report',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='representedday',
                    name='kelurahan',
                ),
                migrations.DeleteModel(
                    name='Campaign',
                ),
                migrations.DeleteModel(
                    name='KelurahanCounter',
                ),
                migrations.DeleteModel(
                    name='Report',
                ),
                migrations.DeleteModel(
                    name='RepresentedDay',
                ),
            ],
            database_operations=[],
        ),
    ]
