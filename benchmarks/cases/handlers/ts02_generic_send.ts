// expect: s3:GetObject
import { GetObjectCommand, GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({});

export const handler = async (event: { key: string }): Promise<string> => {
  const out = await s3.send<GetObjectCommandOutput>(new GetObjectCommand({ Bucket: 'assets', Key: event.key }));
  return (await out.Body?.transformToString()) ?? '';
};
