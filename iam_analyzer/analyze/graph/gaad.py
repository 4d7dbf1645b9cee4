"""GAAD input: a snapshot from ``aws iam get-account-authorization-details`` output."""

from __future__ import annotations

from iam_analyzer.model import Account, Snapshot


def snapshot_from_gaad(doc: dict) -> Snapshot:
    """A snapshot (IAM only) from ``aws iam get-account-authorization-details`` output."""
    from iam_analyzer.collect.gaad import account_id_of, fill_account

    if not isinstance(doc, dict) or not any(k in doc for k in ("RoleDetailList", "UserDetailList", "Policies")):
        raise ValueError("not a get-account-authorization-details document (no RoleDetailList, UserDetailList or Policies)")
    return Snapshot(accounts=[fill_account(Account(account_id=account_id_of(doc)), doc)], source={"kind": "gaad"})
