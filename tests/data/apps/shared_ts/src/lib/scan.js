const { DynamoDBClient, paginateScan } = require('@aws-sdk/client-dynamodb');

const client = new DynamoDBClient({});

async function countOrders(table) {
  let n = 0;
  for await (const page of paginateScan({ client }, { TableName: process.env.TABLE_NAME, Select: 'COUNT' })) {
    n += page.Count;
  }
  return n;
}

module.exports = { countOrders };
