# expect: ses:SendEmail
import boto3

ses = boto3.client("sesv2")


def handler(event, context):
    ses.send_email(FromEmailAddress="shop@example.com", Destination={"ToAddresses": [event["to"]]},
                   Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}}})
