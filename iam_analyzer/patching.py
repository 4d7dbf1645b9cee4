"""``generate --template``: write each generated policy back into the template that owns the
function's role, and prove every patch with the CI gate before it is kept.

For each tightened function: find its template (``emit/patch/locate.py``), patch the text
(``emit/patch/cloudformation.py``), then run ``check PATCHED --base ORIGINAL`` (the same
``stages.check`` the CI gate runs) and keep the patch only when it gives no new access, no new
lint error, and every permission the generator kept (observed, required, unverified) is still
allowed on the patched role. A function whose role lives in ``.tf`` files gets Terraform blocks
instead (``emit/patch/terraform.py``). Nothing is written here: ``write`` does that.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from iam_analyzer.emit.patch import cloudformation, locate
from iam_analyzer.emit.patch import terraform as tf
from iam_analyzer.emit.patch.diff import unified
from iam_analyzer.model import Snapshot


GATE_FAILED = "the patch failed the gate"


@dataclass
class PatchOutcome:
    patched: list[dict] = field(default_factory=list)  # {"function", "template", "logical_id", "how", "removed"}
    refused: list[dict] = field(default_factory=list)  # {"function", "reason"}
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (original, patched)
    terraform: dict[str, str] = field(default_factory=dict)  # role name -> blocks to add
    notes: list[str] = field(default_factory=list)

    @property
    def failed_gate(self) -> list[dict]:
        """Functions found in a template whose patch the gate refused (a person must look)."""
        return [r for r in self.refused if r["reason"].startswith(GATE_FAILED)]

    def as_dict(self) -> dict:
        return {"patched": self.patched, "refused": self.refused, "files": sorted(self.files),
                "terraform": sorted(self.terraform), "notes": self.notes}

    def diff(self) -> str:
        return "".join(unified(Path(p), old, new) for p, (old, new) in sorted(self.files.items()) if old != new)


def _policy_template_entries(props: dict) -> list[int]:
    """Indices of SAM ``Policies`` entries that are policy templates (``{Name: {params}}``)."""
    pol = props.get("Policies")
    items = pol if isinstance(pol, list) else [pol] if pol is not None else []
    return [i for i, p in enumerate(items) if isinstance(p, dict) and len(p) == 1
            and not next(iter(p)).startswith(("Fn::", "Ref")) and next(iter(p)) not in ("Statement", "Version")]


def _read(path: Path, text: str, account: str, region: str):
    from iam_analyzer.collect.iac import read_paths

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / path.name
        p.write_text(text, encoding="utf-8")
        res = read_paths([p], account=account, region=region)
        for f in res.snapshot.functions():  # the temporary path means nothing outside
            if f.location:
                f.location.path = str(path)
        return res


def _role_of(res, function_id: str):
    fn = next((f for f in res.snapshot.functions() if f.location and f.location.logical_id == function_id), None)
    return (fn, res.snapshot.find_role(fn.role_arn)) if fn else (None, None)


def _still_used_templates(path: Path, text: str, target, documents: list[dict], account: str, region: str) -> set[int]:
    """The policy templates whose every grant the generated documents still allow."""
    from iam_analyzer.iam.compare import new_access
    from iam_analyzer.iam.policy import parse_policy_lenient

    generated = [parse_policy_lenient(d)[0] for d in documents]
    props = target.template.data["Resources"][target.function_id].get("Properties") or {}
    keep = set()
    for i in _policy_template_entries(props):
        alone, _ = cloudformation.patch_text(text, target, [], {i}, "")
        _fn, role = _role_of(_read(path, alone, account, region), target.function_id)
        if role is None:
            continue
        grants = [parse_policy_lenient(p.document)[0] for p in role.inline_policies]
        if grants and not new_access(grants, generated):
            keep.add(i)
    return keep


def verify(path: Path, old: str, new: str, target, results: list, account: str, region: str) -> list[str]:
    """Why the patched text is not safe (empty: it is): the gate against the original, then
    every kept permission of the generator on the patched role."""
    from iam_analyzer.check import CheckRequest
    from iam_analyzer.check import run as check  # what stages.check runs (stages imports this module)
    from iam_analyzer.emit.inventory_view import role_policies
    from iam_analyzer.iam.evaluate import Request, Result, evaluate

    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        base, head = Path(tmp) / "base" / path.name, Path(tmp) / "head" / path.name
        for p, t in ((base, old), (head, new)):
            p.parent.mkdir()
            p.write_text(t, encoding="utf-8")
        res = check(CheckRequest(paths=[str(head)], base=str(base), account=account, region=region))
        problems += [f"new access: {', '.join(a.actions[:5])} on {', '.join(a.resources[:3])}" for a in res.new_access]
        problems += [f"new lint error: {f.message}" for f in res.findings if f.source == "lint" and f.severity == "high"]
        snap = res.head.snapshot
        fn = next((f for f in snap.functions() if target.function_id and f.location
                   and f.location.logical_id == target.function_id), None)
        role = snap.find_role(fn.role_arn) if fn else next(
            (r for r in snap.roles() if target.role_id and r.location and r.location.logical_id == target.role_id), None)
        if role is None:
            return problems + ["the patched template no longer declares the function's role"]
        policies = role_policies(snap, role)
        for e in (e for r in results for e in r.entries):
            if e.conditions:
                continue
            if evaluate(Request(e.action, e.resource), policies).result is not Result.ALLOW:
                problems.append(f"{e.action} on {e.resource} ({e.origin}) would no longer be allowed")
    return problems


def run(results: list, snapshot: Snapshot, template: Path) -> PatchOutcome:
    """Patch every tightened function found under ``template`` (a file or a folder)."""
    out = PatchOutcome()
    errors: list[str] = []
    templates = locate.load_templates(template, errors)
    out.notes.extend(errors)
    tf_files = {p: p.read_text(encoding="utf-8", errors="replace") for p in
                (sorted(template.rglob("*.tf")) if template.is_dir() else [template] if template.suffix == ".tf" else [])}
    texts: dict[Path, str] = {}
    by_role: dict[str, list] = {}
    for f in snapshot.functions():
        by_role.setdefault(f.role_arn, []).append(f)
    done_roles: set[tuple[str, str]] = set()
    tightened = {r.function.arn: r for r in results if r.tightened and r.verification.get("ok")}
    for r in results:
        fn = r.function
        if fn.arn not in tightened:
            out.refused.append({"function": fn.arn, "reason": f"not tightened ({r.evidence_dict()['verdict']} evidence)"})
            continue
        target = locate.find(fn, templates, snapshot.find_role(fn.role_arn)) if templates else None
        if target is None:
            if tf_files:
                _terraform(out, r, by_role, tightened, tf_files)
            else:
                out.refused.append({"function": fn.arn, "reason": f"no template under {template} declares it"})
            continue
        out.notes.extend(target.notes)
        path = target.template.path
        if target.kind == "cloudformation":
            if target.role_id is None:
                out.refused.append({"function": fn.arn, "reason": "its role is not declared in the template"})
                continue
            if (str(path), target.role_id) in done_roles:
                out.patched.append({"function": fn.arn, "template": str(path), "logical_id": target.function_id,
                                    "how": target.how, "removed": [], "role": target.role_id})
                continue
            sharing = by_role.get(fn.role_arn, [fn])
            missing = [f.name for f in sharing if f.arn not in tightened]
            if missing:
                out.refused.append({"function": fn.arn, "reason": f"its role is shared with {', '.join(missing)}, "
                                                                  f"which was not tightened"})
                continue
            from iam_analyzer.analyze.generate.shaping import role_union

            checked = [tightened[f.arn] for f in sharing]
            documents = [role_union(checked)] if len(sharing) > 1 else r.documents
        else:
            documents, checked = r.documents, [r]
        old = texts.get(path) or path.read_text(encoding="utf-8")
        try:
            keep = _still_used_templates(path, old, target, documents, fn.account_id, fn.region) \
                if target.kind == "sam" else set()
            new, removed = cloudformation.patch_text(old, target, documents, keep, f"{fn.name}-least-privilege")
        except Exception as e:  # noqa: BLE001 - ruamel's and the reader's errors alike: this function only
            out.refused.append({"function": fn.arn, "reason": f"{path}: cannot patch: {type(e).__name__}: {e}"})
            continue
        try:
            problems = verify(path, old, new, target, checked, fn.account_id, fn.region)
        except Exception as e:  # noqa: BLE001 - an unreadable patch is a refusal, never a traceback
            problems = [f"the gate could not read the patched template ({type(e).__name__}: {str(e)[:200]})"]
        if problems:
            out.refused.append({"function": fn.arn, "reason": f"{GATE_FAILED}: " + "; ".join(problems[:5])})
            continue
        texts[path] = new
        out.files[str(path)] = (out.files.get(str(path), (old, old))[0], new)
        if target.role_id:
            done_roles.add((str(path), target.role_id))
        out.patched.append({"function": fn.arn, "template": str(path), "logical_id": target.function_id,
                            "how": target.how, "removed": removed, "role": target.role_id})
    return out


def _terraform(out: PatchOutcome, r, by_role: dict, tightened: dict, files: dict) -> None:
    from iam_analyzer.analyze.generate.shaping import role_union

    fn = r.function
    role_name = fn.role_arn.rsplit("/", 1)[-1]
    if role_name in out.terraform:
        return
    sharing = by_role.get(fn.role_arn, [fn])
    missing = [f.name for f in sharing if f.arn not in tightened]
    if missing:
        out.refused.append({"function": fn.arn, "reason": f"its role is shared with {', '.join(missing)}, which was "
                                                          f"not tightened"})
        return
    docs = [role_union([tightened[f.arn] for f in sharing])] if len(sharing) > 1 else r.documents
    header = (f"# Least-privilege policy for role {role_name} ({', '.join(f.name for f in sharing)}), generated by "
              f"iam-analyzer\n")
    patch = tf.patch(role_name, docs, files, header)
    out.terraform[role_name] = patch.text
    out.patched.append({"function": fn.arn, "template": patch.role_address or role_name, "logical_id": None,
                        "how": "terraform role name" if patch.role_address else "role name",
                        "removed": patch.remove, "role": role_name})


def write(outcome: PatchOutcome, patch_file: str | None, out_dir: Path) -> list[str]:
    """Write the patched templates in place (or one unified diff to ``patch_file``) and the
    Terraform blocks to ``out_dir/terraform/``; returns the paths written."""
    from iam_analyzer.emit.policy_formats import safe_name
    from iam_analyzer.outputs import make_folder, write_text

    written = []
    if patch_file:
        write_text(patch_file, outcome.diff())
        written.append(patch_file)
    else:
        for p, (old, new) in sorted(outcome.files.items()):
            if old != new:
                write_text(p, new)
                written.append(p)
    if outcome.terraform:
        make_folder(out_dir / "terraform")
        for role, text in sorted(outcome.terraform.items()):
            path = out_dir / "terraform" / f"{safe_name(role)}.tf"
            write_text(path, text)
            written.append(str(path))
    return written
