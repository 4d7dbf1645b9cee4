# expect: dynamodb:GetItem
import asyncio
import aioboto3

session = aioboto3.Session()


async def fetch(key):
    async with session.client("dynamodb") as ddb:
        return await ddb.get_item(TableName="cache", Key={"k": {"S": key}})


def handler(event, context):
    return asyncio.run(fetch(event["key"]))
