// Each SDK v3 form the reader understands.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import { S3Client, GetObjectCommand, waitUntilObjectExists } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import * as sns from "@aws-sdk/client-sns";

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const TABLE = process.env.TABLE_NAME!;

class Publisher {
  private client = new sns.SNSClient({});
  async publish(message: string): Promise<void> {
    await this.client.send(new sns.PublishCommand({ TopicArn: process.env.TOPIC_ARN, Message: message }));
  }
}

async function save(client: DynamoDBDocumentClient, id: string) {
  await client.send(new PutCommand({ TableName: TABLE, Item: { id } }));
}

export const handler = async (event: { id: string }) => {
  await save(ddb, event.id);
  await ddb.send(new QueryCommand({ TableName: TABLE, IndexName: "by-date", KeyConditionExpression: "d = :d" }));
  for await (const page of paginateScan({ client: ddb }, { TableName: "audit" })) { void page; }
  const s3 = new S3Client({});
  const upload = new Upload({ client: s3, params: { Bucket: "uploads-bucket", Key: `in/${event.id}.bin`, Body: "x" } });
  await upload.done();
  await waitUntilObjectExists({ client: s3, maxWaitTime: 30 }, { Bucket: "uploads-bucket", Key: "ready" });
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "shared", Key: "doc.pdf" }));
  await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: "arn:aws:states:us-east-1:111122223333:stateMachine:orders", input: "{}" }));
  await new Publisher().publish(url);
};
