// expect: sns:Publish
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');

const sns = new SNSClient({});

async function notify(client, message) {
  await client.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN, Message: message }));
}

exports.handler = async (event) => notify(sns, JSON.stringify(event));
