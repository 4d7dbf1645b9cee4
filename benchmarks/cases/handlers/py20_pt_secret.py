# expect: secretsmanager:GetSecretValue
# expect: ssm:GetParameters
from aws_lambda_powertools.utilities.parameters import get_parameters_by_name, get_secret


def handler(event, context):
    key = get_secret("shop/api-key")
    values = get_parameters_by_name(parameters={"/shop/a": {}, "/shop/b": {}})
    return key, values
