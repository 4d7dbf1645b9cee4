// expect: dynamodb:DeleteItem
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export const handler = async (event: { id: string }) => {
  const command = new DeleteItemCommand({ TableName: 'carts', Key: { id: { S: event.id } } });
  return client.send(command);
};
