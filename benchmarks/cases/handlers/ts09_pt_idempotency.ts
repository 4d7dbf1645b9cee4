// expect: dynamodb:GetItem
// expect: dynamodb:PutItem
// expect: dynamodb:UpdateItem
// expect: dynamodb:DeleteItem
import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';

const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env.IDEMPOTENCY_TABLE! });

export const handler = makeIdempotent(async (event: { id: string }) => ({ id: event.id }), { persistenceStore });
