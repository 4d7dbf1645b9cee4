# expect: states:StartExecution
import json
import os
import boto3

sfn = boto3.client("stepfunctions")


def handler(event, context):
    sfn.start_execution(stateMachineArn=os.environ["STATE_MACHINE_ARN"], input=json.dumps(event))
