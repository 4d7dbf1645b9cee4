// expect: secretsmanager:GetSecretValue
// expect: xray:PutTraceSegments
// expect: xray:PutTelemetryRecords
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { Tracer } from '@aws-lambda-powertools/tracer';

const tracer = new Tracer({ serviceName: 'payments' });

export const handler = async () => {
  const key = await getSecret('payments/api-key');
  return { ok: Boolean(key) };
};
