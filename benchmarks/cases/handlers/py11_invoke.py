# expect: lambda:InvokeFunction
import json
import boto3

lam = boto3.client("lambda")


def handler(event, context):
    return lam.invoke(FunctionName="resizer", Payload=json.dumps(event))["StatusCode"]
