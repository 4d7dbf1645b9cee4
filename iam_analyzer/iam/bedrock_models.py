"""Which Bedrock resources a model id names (``modelId`` of InvokeModel, Converse and their
streaming forms).

- an ARN is the resource itself;
- a cross-region inference profile id (``us.``, ``eu.``, ``apac.``, ``global.``, ... in front of
  a model id) is the profile in the caller's region and account, and the foundation model in
  every region the profile may route to (Bedrock authorises both: inference-profiles-prereq);
- any other id is a foundation model, which has no account (``arn:aws:bedrock:R::foundation-model/ID``).
"""

from __future__ import annotations

import re

# geography prefixes of system-defined inference profiles
_GEO = re.compile(r"^(us|eu|apac|us-gov|ca|jp|au|global)\.(?=[a-z0-9-]+\.)")


def model_resources(model_id: str, partition: str, region: str, account: str) -> list[str]:
    if model_id.startswith("arn:"):
        return [model_id]
    m = _GEO.match(model_id)
    if m:
        base = model_id[m.end():]
        return [f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}",
                f"arn:{partition}:bedrock:*::foundation-model/{base}"]
    return [f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"]
