# expect: dynamodb:Query
import boto3

TABLE = "sessions"
_ddb = boto3.client("dynamodb")


def _query(pk):
    return _ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": pk}})


def handler(event, context):
    return _query(event["user"])
