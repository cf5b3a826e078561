"""The main menu (practice/context_processors.py MENU) and the roles behind it
(practice/roles.py): each role sees its links, and a role given or taken away in the admin
holds from the user's next request, menu and access alike."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from practice import roles
from tests import factories

pytestmark = pytest.mark.django_db


def menu_of(client) -> list[str]:
    """The menu's labels on the account page, which every signed-in user may open."""
    page = client.get(reverse("account:account")).content.decode()
    menu = page[page.index('id="mainnav"') : page.index("</ul>", page.index('id="mainnav"'))]
    return re.findall(r'class="nav-link" href="[^"]+">([^<]+)</a>', menu)


EVERYONE = ["Day", "Sessions", "Clients"]
BILLING = ["Billing", "Claims", "Send", "Remittances", "Summary", "Estimates", "Reports"]
OWNING = ["Sign-ins", "Audit", "Catalog &amp; admin"]


def test_each_role_sees_its_links(client, clinician_user, biller_user, owner_user):
    client.force_login(clinician_user)
    assert menu_of(client) == [*EVERYONE, "Reports"]
    client.force_login(biller_user)
    assert menu_of(client) == [*EVERYONE, *BILLING]
    client.force_login(owner_user)
    assert menu_of(client) == [*EVERYONE, *BILLING, *OWNING]


def test_the_menu_links_where_its_names_point(client, owner_user):
    client.force_login(owner_user)
    page = client.get(reverse("practice:day")).content.decode()
    for name in ("practice:session_list", "billing:claim_list", "admin:index"):
        assert f'class="nav-link" href="{reverse(name)}"' in page


def test_a_role_taken_away_holds_from_the_next_request(client, biller_user):
    client.force_login(biller_user)
    assert client.get(reverse("billing:claim_list")).status_code == 200
    assert "Claims" in menu_of(client)

    biller_user.groups.remove(Group.objects.get(name=roles.BILLER))

    assert client.get(reverse("billing:claim_list")).status_code == 403
    assert menu_of(client) == EVERYONE


def test_a_role_given_holds_from_the_next_request(client):
    user = factories.UserFactory(username="newcomer")
    client.force_login(user)
    assert client.get(reverse("billing:claim_list")).status_code == 403

    user.groups.add(Group.objects.get(name=roles.OWNER))

    assert client.get(reverse("billing:claim_list")).status_code == 200
    assert menu_of(client) == [*EVERYONE, *BILLING, *OWNING]


def test_only_role_groups_count(client):
    user = factories.UserFactory(username="outsider")
    user.groups.add(Group.objects.create(name="Billers of another app"))
    client.force_login(user)
    assert client.get(reverse("billing:claim_list")).status_code == 403
    assert roles.role_names(user) == frozenset()
