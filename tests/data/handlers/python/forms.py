"""Each boto3 form the reader understands, one per function."""
import os
from os import environ

import boto3
from boto3.s3.transfer import S3Transfer

session = boto3.Session()
QUEUE = session.client("sqs")
TABLE_NAME = environ["TABLE_NAME"]


class Store:
    def __init__(self):
        self.table = boto3.resource("dynamodb").Table(TABLE_NAME)
        self.s3 = boto3.client("s3")

    def save(self, item):
        self.table.update_item(Key={"id": item["id"]}, UpdateExpression="SET x = :x")
        self.s3.copy_object(CopySource={"Bucket": "src-bucket", "Key": "a/b.txt"}, Bucket="dst-bucket", Key="copies/b.txt")


def paginate_and_wait():
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="listing-bucket", Prefix="logs/"):
        pass
    s3.get_waiter("object_exists").wait(Bucket="listing-bucket", Key="logs/done")


def transfers():
    s3 = boto3.client("s3")
    S3Transfer(s3).upload_file("/tmp/f", "transfer-bucket", "up/%s.bin" % os.getpid())
    s3.download_file("transfer-bucket", "down/file.bin", "/tmp/g")


def resources():
    s3 = boto3.resource("s3")
    obj = s3.Object("objects-bucket", "data/config.json")
    obj.load()
    for o in s3.Bucket("objects-bucket").objects.filter(Prefix="tmp/"):
        o.delete()
    table = boto3.resource("dynamodb").Table("events")
    with table.batch_writer() as batch:
        batch.put_item(Item={"id": "1"})


def send():
    QUEUE.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="x")


def presign():
    return boto3.client("s3").generate_presigned_url("get_object", Params={"Bucket": "shared", "Key": "doc.pdf"})


def batch():
    boto3.client("dynamodb").batch_write_item(RequestItems={"audit": [], TABLE_NAME: []})
