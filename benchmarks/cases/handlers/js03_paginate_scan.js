// expect: dynamodb:Scan
const { DynamoDBClient, paginateScan } = require('@aws-sdk/client-dynamodb');

const client = new DynamoDBClient({});

exports.handler = async () => {
  let n = 0;
  for await (const page of paginateScan({ client }, { TableName: 'orders' })) n += page.Count;
  return n;
};
