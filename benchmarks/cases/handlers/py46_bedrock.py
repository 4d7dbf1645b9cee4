# expect: bedrock:InvokeModel
import json
import boto3

bedrock = boto3.client("bedrock-runtime")


def handler(event, context):
    out = bedrock.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0",
                               body=json.dumps({"messages": [{"role": "user", "content": event["q"]}]}))
    return json.loads(out["body"].read())
