// expect: events:PutEvents
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const eb = new EventBridgeClient({});

export const handler = async (detail: object) => {
  await eb.send(new PutEventsCommand({ Entries: [{ EventBusName: 'orders', Source: 'shop', DetailType: 'x', Detail: JSON.stringify(detail) }] }));
};
