# Written by hand: no model change.

from django.db import migrations


def vacuum_sessions(apps, schema_editor):
    """PostgreSQL: VACUUM the sessions after 0015 rewrote every session with lines. Each
    rewritten row leaves its page not all-visible, so the billing dashboard's index-only
    scan of ``session_unbilled`` would visit the table for every open session (the old
    row version and the new) until autovacuum comes by. VACUUM cannot run in a
    transaction: this migration is not atomic."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) practice_session")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('practice', '0015_session_line_charges'),
    ]

    operations = [
        migrations.RunPython(vacuum_sessions, migrations.RunPython.noop, atomic=False),
    ]
