# expect: dynamodb:PutItem
# expect: dynamodb:UpdateItem
import boto3

ddb = boto3.client("dynamodb")


def handler(event, context):
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": "orders", "Item": {"id": {"S": "1"}}}},
        {"Update": {"TableName": "stock", "Key": {"sku": {"S": "a"}}, "UpdateExpression": "SET n = n - :one"}},
    ])
