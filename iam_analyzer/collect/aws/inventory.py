"""The inventory scanner: Lambda functions and everything that decides their permissions.

Read-only by construction: every operation it calls is listed in ``docs/scanner-policy.json``
and is a List or Read action (a test records the calls and checks both).

Cost per account: one paginated ``GetAccountAuthorizationDetails`` pass, two calls per
AWS-managed policy attached anywhere, then per region a constant number of list calls
(functions with their versions, event source mappings, tags, push sources, resource names)
and per function the calls that have no region-wide form: its resource policy, aliases,
URL, event-invoke configuration and reserved concurrency.

The per-function calls live in ``functions.py`` and the push sources in ``push_sources.py``
(mixed into ``AccountScanner``); the organization's policies in ``organizations.py``.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import botocore.exceptions

from iam_analyzer import __version__
from iam_analyzer.collect.envvars import ResourceIndex
from iam_analyzer.collect.gaad import document as _doc
from iam_analyzer.collect.gaad import fill_account
from iam_analyzer.collect.gaad import tags as _tags
from iam_analyzer.iam.catalog import default_catalog
from iam_analyzer.model import Account, CoverageGap, Function, ManagedPolicy, Snapshot
from iam_analyzer.collect.aws.functions import FunctionReader, _esm, _function_name  # noqa: F401 (_esm re-exported)
from iam_analyzer.collect.aws.organizations import organization_accounts, read_organization
from iam_analyzer.collect.aws.push_sources import PushSourceReader
from iam_analyzer.collect.aws.session import Clients, error_code

log = logging.getLogger("iam_analyzer.collect.aws")

Progress = Callable[[str, int, int], None]  # (stage, done, total)

_NOT_FOUND = {"ResourceNotFoundException", "ResourceNotFound", "NoSuchEntity", "NotFoundException",
              "NoSuchBucket", "404"}


@dataclass
class ScanOptions:
    regions: list[str] = field(default_factory=list)
    all_regions: bool = False
    workers: int = 16
    push_sources: bool = True
    # Also read every function's URL configuration (not only where its resource policy grants
    # lambda:InvokeFunctionUrl) and its reserved concurrency: two more calls per function.
    thorough: bool = False
    # IAM Access Advisor for every execution role (collect.aws.access_advisor).
    access_advisor: bool = False
    # Read each function's deployment package (GetFunction's presigned URL, streamed and
    # capped, never stored) for the SDK calls its code makes: Function.code_calls.
    code: bool = False
    code_fetch: object = None  # a packages.Fetch to use instead of HTTPS (tests, emulators)
    # Also read AWS Organizations' SCPs and RCPs and every account's chain (collect.aws.organizations).
    organization: bool = False


NOT_IMPLEMENTED = frozenset({"404", "NotImplemented", "NotImplementedException", "UnknownOperationException",
                             "InvalidAction"})
# Errors after which no other call can succeed either.
UNREACHABLE = frozenset({"NoCredentialsError", "EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError",
                         "InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken", "PartialCredentialsError",
                         "NoRegionError"})


class AccountScanner(FunctionReader, PushSourceReader):
    """Scans one account (one set of credentials) across the given regions."""

    def __init__(self, clients: Clients, regions: list[str], options: ScanOptions,
                 progress: Progress | None = None):
        self.c = clients
        self.regions = regions
        self.opt = options
        self.progress = progress or (lambda *_: None)
        self.gaps: list[CoverageGap] = []
        self.unsupported: list[CoverageGap] = []  # calls a custom endpoint does not implement
        self._lock = threading.Lock()
        self.account_id = ""
        self.partition = "aws"

    # -- call helpers: every failure becomes a coverage gap and the scan goes on ----------------

    def _gap(self, service: str, operation: str, exc: BaseException, region: str | None, resource: str | None = None) -> None:
        code, message = error_code(exc)
        if self.c.endpoint_url and code in NOT_IMPLEMENTED:
            # an emulator (moto, LocalStack) without this API: not something the account hides
            log.info("%s %s.%s is not implemented by %s", region or "global", service, operation, self.c.endpoint_url)
            with self._lock:
                self.unsupported.append(CoverageGap(service=service, operation=operation, error_code=code,
                                                    message=message[:200], region=region,
                                                    account_id=self.account_id or None, resource=resource))
            return
        log.warning("%s %s.%s failed: %s", region or "global", service, operation, code)
        with self._lock:
            self.gaps.append(CoverageGap(service=service, operation=operation, error_code=code,
                                         message=message[:500], region=region,
                                         account_id=self.account_id or None, resource=resource))

    def call(self, service: str, region: str, operation: str, *, missing_ok: bool = False,
             resource: str | None = None, **kwargs) -> dict | None:
        client = self.c.client(service, region)
        try:
            return getattr(client, operation)(**kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            code, _ = error_code(e)
            if missing_ok and code in _NOT_FOUND:
                return None
            self._gap(service, operation, e, region, resource)
            return None

    def paginate(self, service: str, region: str, operation: str, key: str, **kwargs) -> list:
        client = self.c.client(service, region)
        out: list = []
        try:
            if client.can_paginate(operation):
                for page in client.get_paginator(operation).paginate(**kwargs):
                    out.extend(page.get(key, []))
            else:
                out.extend(getattr(client, operation)(**kwargs).get(key, []))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self._gap(service, operation, e, region)
        return out

    def _map(self, fn, items: list) -> list:
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(self.opt.workers, len(items)))) as pool:
            return list(pool.map(fn, items))

    # -- the account ----------------------------------------------------------------------------

    def scan(self) -> Account:
        home = self.regions[0]
        ident = self.call("sts", home, "get_caller_identity")
        if ident:
            self.account_id = ident["Account"]
            self.partition = ident["Arn"].split(":")[1]
        acct = Account(account_id=self.account_id, partition=self.partition, regions=list(self.regions))
        if not ident and self.gaps and self.gaps[-1].error_code in UNREACHABLE:
            acct.coverage = self.gaps  # no credentials or no endpoint: every other call would fail the same way
            return acct
        buckets = self._list_buckets(home)
        # IAM (global) and every region are independent: read them side by side.
        with ThreadPoolExecutor(max_workers=1 + len(self.regions)) as pool:
            iam_done = pool.submit(self._scan_iam, acct, home)
            per_region = [pool.submit(self._scan_region, r, buckets) for r in self.regions]
            iam_done.result()
            for i, fut in enumerate(per_region):
                acct.functions.extend(fut.result())
                self.progress("regions", i + 1, len(self.regions))
        if self.opt.push_sources and buckets:
            self._attach_s3_triggers(acct, home, buckets)
        if self.opt.access_advisor:
            self._access_advisor(acct, home)
        acct.coverage = self.gaps
        acct.unsupported = sorted(self.unsupported, key=lambda g: (g.service, g.operation, g.region or ""))
        return acct

    def _access_advisor(self, acct: Account, region: str) -> None:
        from iam_analyzer.collect.aws.access_advisor import collect, execution_roles

        roles = execution_roles(acct)
        collect(self.c.client("iam", region), roles, progress=self.progress)
        for r in roles:
            if r.access_advisor and r.access_advisor.error:
                code, _, message = r.access_advisor.error.partition(": ")
                with self._lock:
                    self.gaps.append(CoverageGap(service="iam", operation="generate_service_last_accessed_details",
                                                 error_code=code, message=message[:500], region=None,
                                                 account_id=self.account_id or None, resource=r.arn))

    # -- IAM --------------------------------------------------------------------------------

    def _scan_iam(self, acct: Account, region: str) -> None:
        details = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        client = self.c.client("iam", region)
        try:
            for page in client.get_paginator("get_account_authorization_details").paginate(
                Filter=["User", "Role", "Group", "LocalManagedPolicy"]
            ):
                for k in details:
                    details[k].extend(page.get(k, []))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self._gap("iam", "get_account_authorization_details", e, None)
        fill_account(acct, details)
        # AWS-managed policies attached anywhere: fetched once each so the snapshot stands alone.
        known = {p.arn for p in acct.policies}
        wanted = sorted({a for x in (*acct.roles, *acct.users, *acct.groups) for a in x.managed_policy_arns
                         if a not in known} | {x.permissions_boundary_arn for x in (*acct.roles, *acct.users)
                                               if x.permissions_boundary_arn and x.permissions_boundary_arn not in known})
        acct.policies.extend(p for p in self._map(lambda a: self._managed_policy(a, region), wanted) if p)

    def _managed_policy(self, arn: str, region: str) -> ManagedPolicy | None:
        meta = self.call("iam", region, "get_policy", PolicyArn=arn, resource=arn)
        if not meta:
            return None
        pol = meta["Policy"]
        ver = self.call("iam", region, "get_policy_version", PolicyArn=arn, VersionId=pol["DefaultVersionId"], resource=arn)
        if not ver:
            return None
        return ManagedPolicy(arn=arn, name=pol["PolicyName"], path=pol.get("Path", "/"),
                             default_version_id=pol["DefaultVersionId"],
                             document=_doc(ver["PolicyVersion"]["Document"]), aws_managed=":aws:policy/" in arn)

    # -- resource names (to recognise bare names in environment variables) ------------------------

    def _list_buckets(self, region: str) -> list[str]:
        return sorted(b["Name"] for b in self.paginate("s3", region, "list_buckets", "Buckets"))

    def _resource_index(self, region: str, buckets: list[str]) -> ResourceIndex:
        idx = ResourceIndex()
        p, a = self.partition, self.account_id
        for b in buckets:
            idx.add(b, f"arn:{p}:s3:::{b}")
        for t in self.paginate("dynamodb", region, "list_tables", "TableNames"):
            idx.add(t, f"arn:{p}:dynamodb:{region}:{a}:table/{t}")
        for url in self.paginate("sqs", region, "list_queues", "QueueUrls"):
            name = url.rstrip("/").rsplit("/", 1)[-1]
            idx.add(name, f"arn:{p}:sqs:{region}:{a}:{name}")
        for t in self.paginate("sns", region, "list_topics", "Topics"):
            idx.add(t["TopicArn"].rsplit(":", 1)[-1], t["TopicArn"])
        for s in self.paginate("secretsmanager", region, "list_secrets", "SecretList"):
            idx.add(s["Name"], s["ARN"])
        for prm in self.paginate("ssm", region, "describe_parameters", "Parameters"):
            name = prm["Name"]
            arn = prm.get("ARN") or f"arn:{p}:ssm:{region}:{a}:parameter/{name.lstrip('/')}"
            idx.add(name, arn)
        return idx

    # -- one region -------------------------------------------------------------------------

    def _scan_region(self, region: str, buckets: list[str]) -> list[Function]:
        raw = self.paginate("lambda", region, "list_functions", "Functions", FunctionVersion="ALL")
        latest: dict[str, dict] = {}
        versions: dict[str, list[str]] = {}
        for f in raw:
            if f.get("Version", "$LATEST") == "$LATEST":
                latest[f["FunctionName"]] = f
            else:
                versions.setdefault(f["FunctionName"], []).append(f["Version"])
        if not latest:
            return []
        # The region-wide lists do not depend on each other: run them concurrently.
        with ThreadPoolExecutor(max_workers=5) as pool:
            f_index = pool.submit(self._resource_index, region, buckets)
            f_tags = pool.submit(self.paginate, "resourcegroupstaggingapi", region, "get_resources",
                                 "ResourceTagMappingList", ResourceTypeFilters=["lambda:function"])
            f_esms = pool.submit(self.paginate, "lambda", region, "list_event_source_mappings", "EventSourceMappings")
            f_signing = pool.submit(self._code_signing, region)
            f_triggers = pool.submit(self._push_sources, region) if self.opt.push_sources else None
            index = f_index.result()
            tags = {m["ResourceARN"]: _tags(m.get("Tags")) for m in f_tags.result()}
            esms = f_esms.result()
            signing = f_signing.result()
            triggers = f_triggers.result() if f_triggers else []

        functions = []
        for name, cfg in sorted(latest.items()):
            fn = self._function_from_config(cfg, region, index)
            fn.versions = sorted(versions.get(name, []), key=lambda v: int(v) if v.isdigit() else 0)
            fn.tags = tags.get(fn.arn, {})
            fn.code_signing_config_arn = signing.get(fn.arn) or fn.code_signing_config_arn
            functions.append(fn)
        by_name = {f.name: f for f in functions}
        for m in esms:
            target = _function_name(m.get("FunctionArn", ""))
            if target in by_name:
                by_name[target].event_source_mappings.append(_esm(m))
        for t in triggers:
            target = _function_name(t.function_arn)
            if target in by_name:
                by_name[target].triggers.append(t)

        done = [0]

        def details(fn: Function) -> Function:
            self._function_details(fn, region)
            with self._lock:
                done[0] += 1
                self.progress(f"functions {region}", done[0], len(functions))
            return fn

        return self._map(details, functions)

# -- the whole scan ---------------------------------------------------------------------------


def enabled_regions(clients: Clients, home: str) -> list[str]:
    resp = clients.client("ec2", home).describe_regions(AllRegions=False)
    return sorted(r["RegionName"] for r in resp.get("Regions", []))


def scan(clients: Clients, options: ScanOptions, *, org_role: str | None = None,
         progress: Progress | None = None) -> Snapshot:
    home = options.regions[0] if options.regions else (clients.session.region_name or "us-east-1")
    regions = options.regions or [home]
    gaps: list[CoverageGap] = []
    if options.all_regions:
        try:
            regions = enabled_regions(clients, home)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            code, msg = error_code(e)
            gaps.append(CoverageGap("ec2", "describe_regions", code, msg, home))
    targets: list[tuple[str | None, Clients]] = [(None, clients)]
    if org_role:
        ident = clients.client("sts", home).get_caller_identity()
        me, partition = ident["Account"], ident["Arn"].split(":")[1]
        for acc in organization_accounts(clients, home):
            if acc["Id"] == me:
                continue
            role_arn = f"arn:{partition}:iam::{acc['Id']}:role/{org_role}"
            try:
                creds = clients.client("sts", home).assume_role(RoleArn=role_arn, RoleSessionName="iam-analyzer-scan")["Credentials"]
                targets.append((acc["Id"], clients.for_credentials(creds)))
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                code, msg = error_code(e)
                gaps.append(CoverageGap("sts", "assume_role", code, msg, home, acc["Id"], role_arn))
    snap = Snapshot(
        created_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        tool={"name": "iam-analyzer", "version": __version__},
        catalog=default_catalog().info.as_dict(),
        source={"kind": "scan", "regions": regions, "org_role": org_role,
                "endpoint_url": clients.endpoint_url, "thorough": options.thorough,
                "push_sources": options.push_sources},
    )
    for _, cl in targets:
        acct = AccountScanner(cl, regions, options, progress).scan()
        snap.accounts.append(acct)
    if options.organization:
        snap.source["organization"] = True
        own = snap.accounts[0].account_id if snap.accounts else None
        snap.organization, org_gaps = read_organization(clients, home, own or None)
        gaps.extend(org_gaps)
    if gaps:
        if snap.accounts:
            snap.accounts[0].coverage.extend(gaps)
        else:
            snap.accounts.append(Account(account_id="", coverage=gaps))
    return snap
