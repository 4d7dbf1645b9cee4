// expect: dynamodb:GetItem
// expect: kinesis:PutRecord
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';

class Pipeline {
  private readonly ddb = new DynamoDBClient({});
  private readonly kinesis = new KinesisClient({});

  async run(id: string) {
    await this.ddb.send(new GetItemCommand({ TableName: 'profiles', Key: { id: { S: id } } }));
    await this.kinesis.send(new PutRecordCommand({ StreamName: 'activity', PartitionKey: id, Data: new Uint8Array() }));
  }
}

export const handler = async (event: { id: string }) => new Pipeline().run(event.id);
