// expect: s3:PutObject
import { S3 } from '@aws-sdk/client-s3';

const s3 = new S3({});

export const handler = async (event) => {
  await s3.putObject({ Bucket: 'logs-archive', Key: `raw/${Date.now()}.json`, Body: JSON.stringify(event) });
};
