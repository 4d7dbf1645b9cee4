// expect: s3:GetObject
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const s3 = new S3Client({});

export const handler = async (event: { key: string }) => ({
  url: await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'downloads', Key: event.key }), { expiresIn: 300 }),
});
