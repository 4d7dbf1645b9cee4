// expect: s3:GetObject
// expect: s3:PutObject
import { PutObjectCommand, S3Client, waitUntilObjectExists } from '@aws-sdk/client-s3';

const client = new S3Client({});

export async function handler(): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: 'exports', Key: 'done.txt', Body: 'x' }));
  await waitUntilObjectExists({ client, maxWaitTime: 30 }, { Bucket: 'exports', Key: 'done.txt' });
}
