"""Template patches: a generated policy written back into the infrastructure code that owns
the role, one module per format.

- ``locate.py``: which CloudFormation/SAM template declares a deployed function;
- ``cloudformation.py``: CloudFormation and SAM templates (ruamel.yaml round trip);
- ``terraform.py``: ``.tf`` configuration: new blocks addressed to the role, lines to remove;
- ``diff.py``: unified diffs for ``git apply``.

A new format (the Serverless Framework's ``serverless.yml``) adds a module with the same two
steps: ``find(function, files) -> target`` and ``patch_text(text, target, documents, ...)``,
and an entry in ``iam_analyzer/patching.py``, which verifies every patch with the CI gate.
"""
