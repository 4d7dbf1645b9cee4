"""What ``lint --kind scp|rcp`` checks: the grammar AWS Organizations documents for service and
resource control policies (Organizations user guide, checked 2025-12).

- SCPs accept the full IAM policy language since September 2025 (Allow with conditions and
  resource ARNs, NotAction, NotResource, wildcards anywhere in an action), except
  ``Principal`` and ``NotPrincipal`` (PL031).
- RCPs: every statement has ``Principal: "*"`` and no ``NotPrincipal`` (PL032), only Deny in a
  customer RCP (PL033), and only the services RCPs cover (PL034).
- Both: at most 5,120 characters (PL030).

The identity-policy checks that still mean something here (unknown actions and condition keys,
resource types, duplicate Sids, condition values) run too; those that judge a grant (Allow
with NotAction, ``Resource: "*"``) do not, since an SCP or RCP grants nothing.
"""

from __future__ import annotations

from iam_analyzer.iam.organizations import MAX_CHARS, rcp_pattern_services
from iam_analyzer.iam.policy import Policy, Statement

KINDS = ("scp", "rcp")


def size_findings(doc, text: str, kind: str, make_finding) -> list:
    """The limit counts the policy as stored: describe-policy's Content, else the file's text."""
    content = doc.get("Policy", {}).get("Content") if isinstance(doc, dict) and isinstance(doc.get("Policy"), dict) else None
    if isinstance(content, str):
        text = content
    if len(text) > MAX_CHARS:
        return [make_finding("PL030", f"{len(text):,} characters: an {kind.upper()} may have at most {MAX_CHARS:,} "
                                      "(white space counts)", "(document)")]
    return []


def _is_full_access(st: Statement) -> bool:
    return (st.is_allow and st.actions == ("*",) and st.resources == ("*",) and not st.conditions
            and st.principal is not None and st.principal.is_everyone)


def org_findings(policy: Policy, kind: str, make_finding, loc) -> list:
    """The SCP/RCP-specific checks, statement by statement."""
    out = []
    for st in policy.statements:
        if kind == "scp":
            for element, value in (("Principal", st.principal), ("NotPrincipal", st.not_principal)):
                if value is not None:
                    out.append(make_finding("PL031", f"an SCP may not have {element}: exempt principals with a "
                                                     "condition on aws:PrincipalArn", loc(st, element)))
            continue
        if st.not_principal is not None:
            out.append(make_finding("PL032", "an RCP may not have NotPrincipal", loc(st, "NotPrincipal")))
        elif st.principal is None or not st.principal.is_everyone:
            out.append(make_finding("PL032", 'every RCP statement needs "Principal": "*"', loc(st, "Principal")))
        if st.is_allow and not _is_full_access(st):
            out.append(make_finding("PL033", "only RCPFullAWSAccess may allow: write the restriction as a Deny",
                                    loc(st, "Effect")))
        for i, pattern in enumerate(st.actions or ()):  # (a NotAction naming one only narrows the rest)
            covered = rcp_pattern_services(pattern)
            if covered is not None and not covered:
                out.append(make_finding("PL034", f"{pattern!r}: RCPs do not apply to the {pattern.split(':')[0]!r} "
                                                 "service, so this restricts nothing", loc(st, "Action", i)))
    return out
