// expect: dynamodb:Query
const AWS = require('aws-sdk');

const doc = new AWS.DynamoDB.DocumentClient();

exports.handler = async (event) =>
  doc.query({ TableName: process.env.TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': event.pk } }).promise();
