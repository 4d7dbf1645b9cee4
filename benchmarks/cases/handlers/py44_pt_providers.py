# expect: ssm:GetParameter
# expect: ssm:GetParametersByPath
# expect: secretsmanager:GetSecretValue
from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

ssm = SSMProvider()
secrets = SecretsProvider()


def handler(event, context):
    return ssm.get("/app/a"), ssm.get_multiple("/app/flags"), secrets.get("app/key")
