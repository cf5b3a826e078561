"""Create the three role groups with the model permissions each role needs."""

from django.db import migrations

ROLE_PERMISSIONS = {
    "Clinician": {
        "practice": [
            "view_client",
            "add_client",
            "change_client",
            "view_session",
            "add_session",
            "change_session",
            "view_diagnosis",
            "add_diagnosis",
            "change_diagnosis",
            "view_coverage",
            "add_coverage",
            "change_coverage",
        ],
        "billing": [
            "view_procedurecode",
            "view_modifier",
            "view_placeofservice",
            "view_diagnosiscode",
            "view_payer",
        ],
    },
    "Biller": {
        "practice": [
            "view_client",
            "change_client",
            "view_session",
            "change_session",
            "view_diagnosis",
            "view_coverage",
            "add_coverage",
            "change_coverage",
            "view_clinician",
            "view_practice",
            "view_location",
        ],
        "billing": [
            "view_procedurecode",
            "view_modifier",
            "view_placeofservice",
            "view_diagnosiscode",
            "view_payer",
            "view_payerrate",
            "view_claim",
            "add_claim",
            "change_claim",
            "view_claimline",
            "view_claimdiagnosis",
        ],
    },
    "Owner": {
        "practice": "__all__",
        "billing": "__all__",
        # Owners add staff and give them roles in the admin.
        "auth": ["view_user", "add_user", "change_user", "view_group"],
    },
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for app_label, codenames in grants.items():
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if codenames != "__all__":
                perms = perms.filter(codename__in=codenames)
            group.permissions.add(*perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0001_initial"),
        ("billing", "0002_claims"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
