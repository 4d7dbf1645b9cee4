// expect: sqs:SendMessage
const AWS = require('aws-sdk');

const sqs = new AWS.SQS({ region: 'eu-west-1' });

exports.handler = (event, context, callback) => {
  sqs.sendMessage({ QueueUrl: process.env.QUEUE_URL, MessageBody: JSON.stringify(event) }, callback);
};
