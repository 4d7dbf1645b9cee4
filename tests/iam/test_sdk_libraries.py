"""The library data names real operations, with IAM actions, and parameters that name resources."""

from iam_analyzer.iam import sdk_libraries, sdk_names
from iam_analyzer.iam.resource_params import is_resource_param


def _all_calls():
    for table in (sdk_libraries.PYTHON, sdk_libraries.JAVASCRIPT):
        for module, names in table.items():
            for name, lib in names.items():
                for calls in [lib.calls, lib.on_create, *lib.methods.values()]:
                    if calls is not None:
                        yield f"{module}.{name}", calls, lib


def test_every_operation_exists_in_botocore_and_has_iam_actions():
    seen = 0
    for where, calls, _ in _all_calls():
        for op in calls.operations:
            assert sdk_names.operation(calls.service, op) == op, (where, calls.service, op)
            assert sdk_names.iam_actions(calls.service, op), (where, op)
            seen += 1
    assert seen > 30


def test_every_argument_fills_a_parameter_that_names_a_resource():
    for where, calls, lib in _all_calls():
        for arg in calls.args + lib.keeps:
            assert is_resource_param(arg.param, calls.service), (where, arg.param)
            assert arg.position is not None or arg.name is not None, where


def test_functions_and_classes_are_told_apart():
    assert not sdk_libraries.python_symbol("aws_lambda_powertools", "get_parameter").is_class
    assert sdk_libraries.python_symbol("aws_lambda_powertools", "Tracer").is_class
    assert sdk_libraries.python_library("aws_lambda_powertools.utilities.parameters.ssm") == "aws_lambda_powertools"
    assert sdk_libraries.python_library("boto3") is None
    assert sdk_libraries.javascript_symbol("@aws-lambda-powertools/parameters/ssm", "getParameter") is not None
