// expect: lambda:InvokeFunction
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

const lambda = new LambdaClient({});

export const handler = async (event) =>
  lambda.send(new InvokeCommand({ FunctionName: 'thumbnailer', Payload: Buffer.from(JSON.stringify(event)) }));
