# expect: xray:PutTraceSegments
# expect: xray:PutTelemetryRecords
# expect: s3:GetObject
import boto3
from aws_lambda_powertools import Tracer

tracer = Tracer()
s3 = boto3.client("s3")


@tracer.capture_lambda_handler
def handler(event, context):
    return s3.get_object(Bucket="config", Key="settings.json")["Body"].read()
