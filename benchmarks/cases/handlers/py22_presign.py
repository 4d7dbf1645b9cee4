# expect: s3:GetObject
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "downloads", "Key": event["file"]}, ExpiresIn=300)
    return {"statusCode": 302, "headers": {"Location": url}}
