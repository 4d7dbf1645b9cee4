"""Local files a template pulls in, inlined before it is read (as ``sam build``/``package`` do).

- ``Fn::Transform: {Name: AWS::Include, Parameters: {Location: ./api.yaml}}`` with a local
  ``Location`` is replaced by that file's content;
- a SAM ``DefinitionUri`` (Api, HttpApi, StateMachine) naming a local file becomes the inline
  ``DefinitionBody``/``Definition`` (so API routes and state machine policies are seen);
- a SAM image function without ``ImageUri`` (``sam build`` fills it from ``Metadata``) gets a
  stand-in image URI, since the image does not change permissions.

Inlining happens before translation so the translation cache key covers the included content.
Remote locations (``s3://``, ``https://``) are left alone and noted by the resolver.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .loader import LoadError, load_file, plain

MAX_INCLUDES = 100


def inline_local(template: dict, base: Path, notes: list[str]) -> dict:
    """A copy of ``template`` with local includes inlined; problems are appended to ``notes``."""
    budget = [MAX_INCLUDES]
    out = _walk(template, base, notes, budget, 0)
    res = out.get("Resources") if isinstance(out, dict) else None
    for logical, r in (res.items() if isinstance(res, dict) else ()):
        if not isinstance(r, dict) or not isinstance(r.get("Properties"), dict):
            continue
        props = r["Properties"]
        rtype = r.get("Type")
        if rtype in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine"):
            uri = props.get("DefinitionUri")
            body_key = "Definition" if rtype == "AWS::Serverless::StateMachine" else "DefinitionBody"
            if isinstance(uri, str) and not uri.startswith(("s3://", "http://", "https://")) and body_key not in props:
                doc = _load(base, uri, notes, budget)
                if isinstance(doc, dict):
                    props = r["Properties"] = dict(props)
                    props.pop("DefinitionUri")
                    props[body_key] = doc
        if rtype == "AWS::Serverless::Function" and props.get("PackageType") == "Image" and "ImageUri" not in props:
            r["Properties"] = dict(props, ImageUri=f"000000000000.dkr.ecr.us-east-1.amazonaws.com/{str(logical).lower()}:local")
    return out


def _load(base: Path, location: str, notes: list[str], budget: list[int]) -> Any:
    if budget[0] <= 0:
        notes.append(f"more than {MAX_INCLUDES} included files: {location} not read")
        return None
    budget[0] -= 1
    path = (base / location).resolve()
    if Path(location).is_absolute() or not (_inside(path, base.resolve()) or _inside(path, Path.cwd().resolve())):
        notes.append(f"included file {location} is outside the template's folder and the working folder: not read")
        return None
    try:
        return plain(load_file(path))
    except (LoadError, OSError) as e:
        notes.append(f"included file {location}: {e}")
        return None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _walk(node: Any, base: Path, notes: list[str], budget: list[int], depth: int) -> Any:
    if depth > 200:
        return node
    if isinstance(node, dict):
        tr = node.get("Fn::Transform") if len(node) == 1 else None
        if isinstance(tr, dict) and tr.get("Name") == "AWS::Include":
            loc = (tr.get("Parameters") or {}).get("Location") if isinstance(tr.get("Parameters"), dict) else None
            if isinstance(loc, str) and not loc.startswith(("s3://", "http://", "https://")):
                doc = _load(base, loc, notes, budget)
                if doc is not None:
                    return copy.deepcopy(doc)
            return node
        return {k: _walk(v, base, notes, budget, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, base, notes, budget, depth + 1) for v in node]
    return node


# -- AWS::LanguageExtensions: Fn::ForEach --------------------------------------------------

MAX_EXPANSIONS = 2_000


def has_foreach(node: Any, depth: int = 0) -> bool:
    if depth > 6 or not isinstance(node, dict):
        return False
    return any(isinstance(k, str) and k.startswith("Fn::ForEach::") or has_foreach(v, depth + 1)
               for k, v in node.items())


def expand_foreach(template: dict, params: dict[str, Any], notes: list[str]) -> dict:
    """Expand ``Fn::ForEach::Name: [Identifier, Collection, {KeyTemplate: Value}]`` in every
    mapping (Resources, Outputs, Conditions, and nested), as CloudFormation's language
    extensions transform does. The collection is a list or a ``Ref`` to a list parameter."""
    budget = [MAX_EXPANSIONS]
    defaults = {}
    for name, spec in (template.get("Parameters") or {}).items() if isinstance(template.get("Parameters"), dict) else ():
        v = params.get(name, spec.get("Default") if isinstance(spec, dict) else None)
        if isinstance(v, str):
            v = [x.strip() for x in v.split(",")]
        defaults[name] = v
    return _expand(template, {}, defaults, notes, budget, 0)


def _subst(node: Any, env: dict[str, str]) -> Any:
    if not env:
        return node
    if isinstance(node, str):
        for k, v in env.items():
            node = node.replace("${" + k + "}", v).replace("&{" + k + "}", "".join(c for c in v if c.isalnum()))
        return node
    if isinstance(node, list):
        return [_subst(v, env) for v in node]
    if isinstance(node, dict):
        if len(node) == 1 and "Ref" in node and node["Ref"] in env:
            return env[node["Ref"]]
        return {_subst(k, env) if isinstance(k, str) else k: _subst(v, env) for k, v in node.items()}
    return node


def _expand(node: Any, env: dict[str, str], params: dict, notes: list[str], budget: list[int], depth: int) -> Any:
    if depth > 100:
        return node
    if isinstance(node, list):
        return [_expand(v, env, params, notes, budget, depth + 1) for v in node]
    if not isinstance(node, dict):
        return _subst(node, env)
    out: dict = {}
    for key, value in node.items():
        if isinstance(key, str) and key.startswith("Fn::ForEach::"):
            if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[2], dict)):
                notes.append(f"{key}: not [identifier, collection, template]: not expanded")
                continue
            ident, coll, body = value
            coll = _subst(coll, env)
            if isinstance(coll, dict) and isinstance(coll.get("Ref"), str):
                coll = params.get(coll["Ref"])
            if not isinstance(coll, list):
                notes.append(f"{key}: its collection is not known offline: not expanded")
                continue
            for item in coll:
                if budget[0] <= 0:
                    notes.append(f"{key}: more than {MAX_EXPANSIONS} expansions: stopped")
                    break
                budget[0] -= 1
                inner = dict(env, **{ident: str(item)})
                out.update(_expand(body, inner, params, notes, budget, depth + 1))
            continue
        out[_subst(key, env) if isinstance(key, str) else key] = _expand(value, env, params, notes, budget, depth + 1)
    return out
