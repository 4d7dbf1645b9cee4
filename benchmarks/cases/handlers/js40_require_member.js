// expect: s3:ListBucket
const S3Client = require('@aws-sdk/client-s3').S3Client;
const { ListObjectsV2Command } = require('@aws-sdk/client-s3');

const s3 = new S3Client({});

exports.handler = async () => s3.send(new ListObjectsV2Command({ Bucket: 'archive', Prefix: 'in/' }));
