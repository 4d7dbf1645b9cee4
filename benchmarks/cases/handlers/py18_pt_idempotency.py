# expect: dynamodb:GetItem
# expect: dynamodb:PutItem
# expect: dynamodb:UpdateItem
# expect: dynamodb:DeleteItem
import os
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent

persistence_layer = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])


@idempotent(persistence_store=persistence_layer)
def handler(event, context):
    return {"ok": True}
