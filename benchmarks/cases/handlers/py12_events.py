# expect: events:PutEvents
import json
import boto3

events = boto3.client("events")


def handler(event, context):
    events.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps(event), "EventBusName": "orders"}])
