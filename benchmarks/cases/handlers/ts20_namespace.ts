// expect: dynamodb:BatchWriteItem
import * as ddb from '@aws-sdk/client-dynamodb';

const client = new ddb.DynamoDBClient({});

export const handler = async (items: Record<string, ddb.AttributeValue>[]) => {
  await client.send(new ddb.BatchWriteItemCommand({ RequestItems: { audit: items.map((Item) => ({ PutRequest: { Item } })) } }));
};
