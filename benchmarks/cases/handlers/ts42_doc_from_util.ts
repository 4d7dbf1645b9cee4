// expect: dynamodb:Query
// expect: dynamodb:BatchWriteItem
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocument, QueryCommand } from '@aws-sdk/lib-dynamodb';

const doc = DynamoDBDocument.from(new DynamoDBClient({}));

export const handler = async () => {
  const rows = await doc.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p' }));
  await doc.send(new BatchWriteCommand({ RequestItems: { archive: [] } }));
  return rows.Count;
};
