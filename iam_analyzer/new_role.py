"""``new-role`` as a stage: read the code, the template and the intent, build the role.

Which code is read: with a template function, only its handler's files (its module and the
local modules it imports, ``collect/code/entry.py``), whether the code comes from the
template's ``CodeUri`` or from ``--code`` folders; without one, every file of each folder,
and the role says so (the calls of every handler in the folder are then together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NewRoleRequest:
    code: list[str] = field(default_factory=list)
    template: str | None = None
    function: str | None = None
    intent: str | None = None
    account: str | None = None
    region: str | None = None
    partition: str = "aws"
    params: dict = field(default_factory=dict)  # template parameters / Terraform variables (--param)
    var_files: list[str] = field(default_factory=list)  # Terraform .tfvars (--var-file)


@dataclass
class CodeRead:
    calls: list = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    scope: str = ""  # what was read, in words
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usable: bool = False


def _read_code(code: list[str], handler: str | None, runtime: str | None, limit: Path | None, who: str,
               entry_points: list[str] | None = None) -> CodeRead:
    from iam_analyzer.collect.code import read_code
    from iam_analyzer.collect.code.entry import handler_files

    out = CodeRead()
    whole: list[str] = []
    followed: list[str] = []
    for p in code:
        path = Path(p)
        if path.is_dir() and handler:
            entry = handler_files(path, handler, runtime, limit if limit else path, entry_points)
            out.problems += entry.notes
            if entry.files:
                scan = read_code(entry.files, root=path, handler=(entry.start, _function_name(handler)))
                out.calls += scan.calls
                out.problems += scan.problems
                out.files += [str(f) for f in entry.files]
                out.usable = out.usable or bool(scan.files)
                followed.append(f"{p} ({len(entry.files)} file(s) from {entry.start.name})")
                continue
            out.notes.append(f"{p}: no file for {who}'s handler {handler}: every file of the folder is read")
        own = handler and path.is_file() and Path(handler.rsplit(".", 1)[0]).name == path.stem
        scan = read_code([p], handler=(path, _function_name(handler)) if own else None)  # the handler's own file
        out.calls += scan.calls
        out.problems += scan.problems
        out.usable = out.usable or bool(scan.files)
        if path.is_dir():
            whole.append(p)
    if followed:
        out.scope = f"handler {handler} followed in " + ", ".join(followed)
    if whole:
        if not handler:
            out.notes.append(f"{', '.join(whole)}: no template function to follow: every file of the folder is read "
                             "(give --template and --function to keep one handler's calls)")
        out.scope = "; ".join(x for x in (out.scope, "every file of " + ", ".join(whole)) if x)
    return out


def _function_name(handler: str) -> str:
    """``app.handler`` / ``pkg/app.lambda_handler`` -> the function's name."""
    return handler.rsplit(".", 1)[-1]


def build(req: NewRoleRequest):
    """(NewRole or None, problems). None: nothing usable (no code, function or intent)."""
    from iam_analyzer.analyze.generate.intent import load_intent
    from iam_analyzer.analyze.generate.new_role import UNSET_ACCOUNT, UNSET_REGION, new_role
    from iam_analyzer.iam.resource_params import Scope

    problems: list[str] = []
    notes: list[str] = []
    usable = False
    fn = snapshot = stack = None
    keys: dict[str, str] = {}
    logical: dict[str, str] = {}
    name = req.function or "new-function"
    terraform_config = False
    account, region = req.account or UNSET_ACCOUNT, req.region or UNSET_REGION
    if req.template:
        from iam_analyzer.collect.iac import read_paths

        res = read_paths([req.template], dict(req.params), account, region, var_files=list(req.var_files))
        terraform_config = any(i.kind == "terraform" for i in res.inputs)
        for i in res.inputs:
            problems.extend(i.errors)
        snapshot = res.snapshot
        fns = snapshot.functions()
        if req.function:
            fn = next((f for f in fns if req.function in (f.name, f.location.logical_id if f.location else None)), None)
            if fn is None:
                problems.append(f"{req.template}: no function {req.function!r}; it has: "
                                f"{', '.join(sorted(f.name for f in fns)) or 'none'}")
        elif len(fns) == 1:
            fn = fns[0]
        elif fns:
            problems.append(f"{req.template}: {len(fns)} functions; choose one with --function "
                            f"({', '.join(sorted(f.name for f in fns))})")
        if fn is not None:
            name = fn.name
            usable = True
        if not terraform_config:  # CloudFormation/SAM/Serverless: customer keys and references from the template
            from iam_analyzer.collect.iac.encryption import customer_keys, logical_arns, template_stack

            stack_name = next((s for i in res.inputs for s in i.stacks), None)
            stack, more = template_stack(req.template, account, region, name=stack_name)
            keys, more2 = customer_keys(req.template, account, region, stack=stack)
            logical = logical_arns(stack)
            problems.extend(more + more2)
    code = CodeRead()
    logical_id = fn.location.logical_id if fn is not None and fn.location else None
    if req.code:
        entries = []
        if fn is not None and logical_id and req.template:
            from iam_analyzer.collect.code.from_template import function_build

            entries = function_build(req.template, logical_id).entry_points
        code = _read_code(req.code, fn.handler if fn is not None else None, fn.runtime if fn is not None else None,
                          Path(req.template).parent if req.template else None, logical_id or name, entries)
    elif fn is not None and logical_id and not terraform_config:  # the template says where its code is
        code = _template_code(req.template, logical_id)
    problems.extend(code.problems)
    notes.extend(code.notes)
    usable = usable or code.usable
    intent = None
    if req.intent:
        intent = load_intent(req.intent)
        usable = usable or bool(intent.entries)
    if not usable:
        return None, problems + notes + (intent.problems if intent is not None else [])
    role = new_role(code.calls, function=fn, snapshot=snapshot, intent=intent,
                    scope=Scope(req.partition, req.region, req.account), name=name, keys=keys, logical=logical,
                    function_name=None if fn is not None else req.function)
    role.warnings[:0] = notes
    role.code_files, role.code_scope = code.files, code.scope
    role.label = logical_id if logical_id and "*" in name else name
    role.template_refs = _template_refs(stack, role, fn, Scope(req.partition, req.region, req.account)) if stack is not None else {}
    return role, problems


def _template_code(template: str, logical_id: str) -> CodeRead:
    from iam_analyzer.collect.code import read_code, read_sources
    from iam_analyzer.collect.code.from_template import template_code

    tc = template_code(template, logical_id)
    out = CodeRead(notes=list(tc.notes))
    if tc.inline:
        scan = read_sources(tc.inline)
        out.scope = "the function's inline code"
    elif tc.paths:
        followed = tc.root is not None and tc.paths != [tc.root]
        start = (tc.paths[0], _function_name(tc.handler)) if followed and tc.handler else None
        scan = read_code(tc.paths, root=tc.root, handler=start)
        out.files = [str(p) for p in tc.paths] if followed else []
        out.scope = (f"handler {tc.handler} followed in {tc.root} ({len(tc.paths)} file(s))" if followed
                     else f"every file of {tc.paths[0]}")
    else:
        return out
    out.calls, out.problems, out.usable = scan.calls, scan.problems, bool(scan.files)
    return out


def _template_refs(stack, role, fn, scope) -> dict[str, str]:
    """ARN of a template resource (as the policy spells it) -> how the template names it, as
    ``Fn::Sub`` text (``${Table.Arn}``, ``${Topic}``), so CloudFormation and SAM output follow the
    resource under any stack name. A resource that depends on the function (an S3 bucket
    notifying it) is left by name: a reference from the role would be a circular dependency."""
    from iam_analyzer.analyze.generate.new_role import shown
    from iam_analyzer.collect.iac.references import dependencies, reaches
    from iam_analyzer.iam.arn_builders import sub_reference, template_reference
    out: dict[str, str] = {}
    me = fn.location.logical_id if fn is not None and fn.location else None
    deps = dependencies(stack.resources)
    targets = {me} | (deps.get(me, set()) if me else set())  # the function and its role
    targets = {t for t in targets if t and str((stack.resources.get(t) or {}).get("Type", "")) in
               ("AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Serverless::Function")}
    for logical, res in stack.resources.items():
        if not isinstance(res, dict):
            continue
        arn = stack.arn_of(logical)
        ref = template_reference(str(res.get("Type", "")), logical)
        if not (arn and arn.startswith("arn:") and ref is not None):
            continue
        # the function, its own role, and what depends on them: a reference from the role is circular
        if logical == me or logical in targets or (me and reaches(deps, logical, targets)):
            name = shown(arn, scope)
            if not any(g.resource == name or g.resource.startswith((name + "/", name + ":")) for g in role.grants):
                continue
            by_name, note = _by_name(stack, logical, res)
            if by_name:
                out[name] = by_name
            if note:
                why = "is the function or its role" if logical == me or logical in targets else \
                    f"depends on {me} (as an event source's notification does)"
                role.warnings.append(f"{logical} {why}, so the role cannot refer to it without a circular "
                                     f"dependency: {note}")
            continue
        out[shown(arn, scope)] = sub_reference(ref)
    if fn is not None and me and stack.name and fn.name == f"{stack.name}-{me}-*":  # its own log group, by stack name
        group = shown(f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/lambda/{fn.name}", scope)
        out[group] = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/${{AWS::StackName}}-{me}-*"
    return out


_PSEUDO = {"${AWS::StackName}", "${AWS::AccountId}", "${AWS::Region}", "${AWS::Partition}", "${AWS::URLSuffix}"}


def _by_name(stack, logical: str, res: dict) -> tuple[str | None, str]:
    """A resource the role may not refer to, named as CloudFormation will name it: its name
    property's own ``Fn::Sub`` of pseudo parameters, or the generated ``<stack>-<id>-...``."""
    import re

    from iam_analyzer.iam import arn_builders as ab

    kind = ab.CFN.get(str(res.get("Type", "")))
    if kind is None or not kind.names:
        return None, "it is named by its guessed name"
    props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
    node = props.get(kind.names[0])
    if isinstance(node, str):
        return None, ""  # a literal name: the ARN is exact as it is
    text = node.get("Fn::Sub") if isinstance(node, dict) else None
    if isinstance(text, str) and set(re.findall(r"\$\{[^!][^}]*\}", text)) <= _PSEUDO:
        name, note = text, ""
    elif node is None:
        part = logical.lower() if kind.lower else logical
        name = "${AWS::StackName}-" + part + "-*"
        note = ("named by the stack's generated name ${AWS::StackName}-" + part + "-*"
                + (" (a generated bucket name is in lower case: this matches a stack named in lower case)" if kind.lower else "")
                + f"; give {logical} a name ({kind.names[0]}) to be exact")
    else:
        return None, f"its name is computed from other resources: it is named by its guessed name; give {logical} a plain name"
    marker = "\x00NAME\x00"
    arn = ab.build(kind, marker, "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}")
    return (arn.replace(marker, name) if arn and marker in arn else None), note
