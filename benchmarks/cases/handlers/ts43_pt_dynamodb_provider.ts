// expect: dynamodb:GetItem
// expect: dynamodb:Query
import { DynamoDBProvider } from '@aws-lambda-powertools/parameters/dynamodb';

const provider = new DynamoDBProvider({ tableName: 'app-config' });

export const handler = async () => {
  const one = await provider.get('feature-x');
  const all = await provider.getMultiple('features');
  return { one, all };
};
