// The demo's order-notifier: SNS -> read the order (SDK v3 via require).
const { DynamoDBClient, GetItemCommand } = require("@aws-sdk/client-dynamodb");
const client = new DynamoDBClient({});

exports.handler = async (event) => {
  for (const r of event.Records) {
    const { id } = JSON.parse(r.Sns.Message);
    await client.send(new GetItemCommand({ TableName: "orders", Key: { id: { S: id } } }));
  }
};
