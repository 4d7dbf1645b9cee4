import json
import os

from common.store import save_order
from common import notify


def handler(event, context):
    order = json.loads(event["body"])
    save_order(order)
    notify.order_placed(order)
    return {"statusCode": 201, "body": json.dumps({"id": order["id"]})}
