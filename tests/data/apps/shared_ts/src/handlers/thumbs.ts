import type { S3Event } from 'aws-lambda';
import { GetObjectCommand, GetObjectCommandOutput, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../clients';
import { resize } from '@lib/images';

export async function handler(event: S3Event): Promise<void> {
  for (const record of event.Records) {
    const b = record.s3.bucket.name;
    const k = record.s3.object.key;
    const got = await s3.send<GetObjectCommandOutput>(new GetObjectCommand({ Bucket: b, Key: k }));
    const body = await got.Body!.transformToByteArray();
    await s3.send(new PutObjectCommand({ Bucket: b, Key: `thumbs/${k}`, Body: resize(body) }));
  }
}
