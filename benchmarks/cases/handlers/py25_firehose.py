# expect: firehose:PutRecordBatch
import boto3

firehose = boto3.client("firehose")


def handler(event, context):
    firehose.put_record_batch(DeliveryStreamName="logs", Records=[{"Data": b"x"}])
