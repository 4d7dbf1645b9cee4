# expect: ssm:GetParameter
from aws_lambda_powertools.utilities import parameters


def handler(event, context):
    return parameters.get_parameter("/shop/endpoint")
