import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TableName = process.env.TABLE_NAME;

export async function saveOrder(order: Record<string, unknown>): Promise<void> {
  await doc.send(new PutCommand({ TableName, Item: order }));
}

export async function loadOrder(id: string) {
  return (await doc.send(new GetCommand({ TableName, Key: { id } }))).Item;
}
