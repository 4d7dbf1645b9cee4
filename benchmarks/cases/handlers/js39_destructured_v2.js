// expect: dynamodb:PutItem
const { DynamoDB } = require('aws-sdk');

const ddb = new DynamoDB();

exports.handler = async (event) => ddb.putItem({ TableName: 'audit', Item: { id: { S: event.id } } }).promise();
