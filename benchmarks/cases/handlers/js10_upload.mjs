// expect: s3:PutObject
// expect: s3:AbortMultipartUpload
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export const handler = async (event) => {
  const upload = new Upload({ client: new S3Client({}), params: { Bucket: 'media', Key: `videos/${event.id}.mp4`, Body: event.body } });
  await upload.done();
};
