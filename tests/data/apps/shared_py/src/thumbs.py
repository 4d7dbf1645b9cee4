import boto3

from images import resize

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        b = record["s3"]["bucket"]["name"]
        k = record["s3"]["object"]["key"]
        body = s3.get_object(Bucket=b, Key=k)["Body"].read()
        s3.put_object(Bucket=b, Key="thumbs/" + k, Body=resize(body))
