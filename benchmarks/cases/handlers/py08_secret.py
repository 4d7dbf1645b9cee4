# expect: secretsmanager:GetSecretValue
import json
import boto3

_client = boto3.client("secretsmanager")


def _password():
    return json.loads(_client.get_secret_value(SecretId="prod/db")["SecretString"])["password"]


def handler(event, context):
    return len(_password())
