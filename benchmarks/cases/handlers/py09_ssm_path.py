# expect: ssm:GetParametersByPath
import boto3


def handler(event, context):
    ssm = boto3.client("ssm")
    return ssm.get_parameters_by_path(Path="/app/config", Recursive=True)["Parameters"]
