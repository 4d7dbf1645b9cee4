// The demo's image-upload: S3-triggered, reads the upload and queues a thumbnail job.
import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";

const s3 = new S3Client({});
const sqs = new SQSClient({});
const { JOBS_QUEUE_URL } = process.env;

export const handler = async (event) => {
  for (const record of event.Records) {
    const bucket = record.s3.bucket.name;
    const key = record.s3.object.key;
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await sqs.send(new SendMessageCommand({ QueueUrl: JOBS_QUEUE_URL, MessageBody: JSON.stringify({ key, size: obj.ContentLength }) }));
  }
};
