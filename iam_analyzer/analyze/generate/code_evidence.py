"""What a deployed function's code calls, as evidence for ``generate`` (``scan --code``).

Two effects, only for a function whose deployment package was read (``Function.code_calls``
is not empty):

* **unverified grants are narrowed to what the code calls**: a grant CloudTrail could not
  have shown is kept only when the function's code makes a call that needs that action;
  the rest is listed under ``dropped_unverified`` with the reason and the statement that
  would add it back;
* **a call seen in the code but never in CloudTrail is kept**, as ``code`` evidence (file
  and line), on the resource the call names (through the function's environment), and, like
  everything else, only as far as the role grants it today.

A function whose package was not read keeps the generator's behaviour unchanged.
"""

from __future__ import annotations

from collections import defaultdict

from iam_analyzer.analyze.generate.new_role import Builder
from iam_analyzer.iam.catalog import Catalog
from iam_analyzer.iam.minimize import minimize_actions
from iam_analyzer.iam.resource_params import PLACEHOLDER, Scope
from iam_analyzer.model import Function

CODE_REASON = "the function's code never makes a call that needs it (read from its deployment package)"


def code_grants(fn: Function, catalog: Catalog | None = None) -> dict[tuple[str, str], list[dict]]:
    """(action, resource) -> code evidence, for the calls of ``fn``'s package. A resource the
    code names only at run time is ``*`` here; the generator narrows it to today's grants."""
    b = Builder(Scope(fn.arn.split(":")[1] if fn.arn.count(":") >= 5 else "aws", fn.region, fn.account_id), catalog)
    b.add_calls(fn.code_calls, fn)
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for (action, resource), g in b.grants.items():
        target = "*" if PLACEHOLDER.search(resource) else resource
        for e in g.evidence:
            ev = {k: e[k] for k in ("file", "line", "call", "operation") if k in e}
            if ev not in out[(action, target)]:
                out[(action, target)].append(ev)
    return dict(out)


def narrow_to_code(fn: Function, candidates: list, res, catalog: Catalog, min_prefix: int = 3) -> list:
    """The generator's candidates with unverified grants narrowed to the code's calls and the
    code's calls CloudTrail never showed added. ``res`` (the generator's result) receives the
    dropped grants."""
    if not fn.code_calls:
        return candidates
    from iam_analyzer.analyze.generate.result import Dropped, Entry

    grants = code_grants(fn, catalog)
    called = {a.lower() for a, _ in grants}
    observed = {e.action.lower() for e in candidates if e.origin == "observed"}
    out, narrowed = [], defaultdict(set)
    for e in candidates:
        if e.origin == "unverified" and e.action.lower() not in called:
            narrowed[e.resource].add(e.action)
            continue
        out.append(e)
    for resource, actions in sorted(narrowed.items()):
        acts = minimize_actions(sorted(actions), catalog, min_prefix=min_prefix)
        res.dropped.append(Dropped(sorted(actions), resource, CODE_REASON, {
            "Effect": "Allow", "Action": acts if len(acts) > 1 else acts[0], "Resource": resource}))
    for (action, resource), evidence in sorted(grants.items()):
        if action.lower() in observed:
            continue  # CloudTrail showed it: the observed entry carries it
        out.append(Entry(action, resource, "code", {"calls": evidence, "note": "seen in the code, not in CloudTrail"}))
    return out


def code_outlook(results: list) -> dict:
    """What reading deployment packages (``scan --code``) does for the generator's results.

    A function whose package was not read keeps the grants CloudTrail could not have shown
    (``unverified``: data events off, actions never logged); reading its code would keep only
    those its calls need: ``would_narrow`` lists them with how many such actions they keep. A
    function whose package was read was narrowed already: ``narrowed`` says by how many actions
    (the grants its code never needs). Functions not tightened (insufficient evidence) are left
    out of both: reading code does not make their evidence enough."""
    would, did = [], []
    for r in results:
        if not r.tightened:
            continue
        if r.function.code_calls:
            dropped = sum(len(d.actions) for d in r.dropped if d.reason == CODE_REASON)
            if dropped:
                did.append({"function": r.function.arn, "dropped_actions": dropped,
                            "kept_unverified": sum(1 for e in r.entries if e.origin == "unverified")})
            continue
        unverified = sorted({e.action for e in r.entries if e.origin == "unverified"})
        if unverified:
            would.append({"function": r.function.arn, "unverified_actions": len(unverified)})
    return {"would_narrow": len(would), "would_narrow_actions": sum(w["unverified_actions"] for w in would),
            "narrowed": len(did), "narrowed_actions": sum(d["dropped_actions"] for d in did),
            "functions": sorted(would, key=lambda w: -w["unverified_actions"]), "narrowed_functions": did}


def outlook_lines(outlook: dict) -> list[str]:
    """The outlook in words, for the terminal, the report and the Markdown summary."""
    out = []
    if outlook.get("would_narrow"):
        top = outlook["functions"][0]
        out.append(f"Reading deployment packages (scan --code) would narrow {outlook['would_narrow']} function(s) that keep "
                   f"{outlook['would_narrow_actions']} action(s) CloudTrail cannot show (data events off or never "
                   f"logged): their code decides which stay (most: {top['function'].rsplit(':', 1)[-1]}, "
                   f"{top['unverified_actions']})")
    if outlook.get("narrowed"):
        out.append(f"The code read by scan --code narrowed {outlook['narrowed']} function(s) by {outlook['narrowed_actions']} action(s) "
                   "CloudTrail cannot show and the code never needs")
    return out
