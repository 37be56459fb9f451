import uuid

import pytest

from longgov.security.permissions import ROLE_PERMISSIONS, SEPARATED_ADMIN_ROLES, Permission, Role
from longgov.security.principal import Principal
from longgov.security.scope import division_prefix, in_division


@pytest.mark.parametrize(("code", "prefix"), [("620000", "62"), ("620100", "6201"), ("620102", "620102")])
def test_division_prefix(code, prefix):
    assert division_prefix(code) == prefix


def test_in_division():
    assert in_division("620102", "620000")
    assert in_division("620102", "620100")
    assert not in_division("620502", "620100")
    assert not in_division("620104", "620102")
    assert in_division("620104", None)
    assert not in_division(None, "620100")


def test_permission_enum_is_alphabetised_and_well_formed():
    values = [p.value for p in Permission]
    assert values == sorted(values)
    assert all(len(v.split(":")) == 3 for v in values)


def test_admin_roles_share_no_management_permission():
    admin_perms = [ROLE_PERMISSIONS[r] - {Permission.WorkbenchHomeRead} for r in SEPARATED_ADMIN_ROLES]
    for i, a in enumerate(admin_perms):
        for b in admin_perms[i + 1 :]:
            assert not (a & b)


def test_principal_role_label_is_stable():
    p = Principal(uuid.uuid4(), "staff", "x", frozenset({Role.Approver, Role.CounterStaff}), frozenset())
    assert p.role_label == "approver,counter_staff"
