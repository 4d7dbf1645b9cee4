import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { saveOrder } from '@lib/store';
import { orderPlaced } from '../lib/notify.js';

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const order = JSON.parse(event.body ?? '{}');
  await saveOrder(order);
  await orderPlaced(order);
  return { statusCode: 201, body: JSON.stringify({ id: order.id }) };
};
