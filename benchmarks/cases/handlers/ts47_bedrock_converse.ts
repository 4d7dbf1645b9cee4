// expect: bedrock:InvokeModelWithResponseStream
// expect: bedrock:Retrieve
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';

const llm = new BedrockRuntimeClient({});
const kb = new BedrockAgentRuntimeClient({});

export const handler = async (event: { q: string }) => {
  const docs = await kb.send(new RetrieveCommand({ knowledgeBaseId: process.env.KB_ID, retrievalQuery: { text: event.q } }));
  return llm.send(new ConverseStreamCommand({ modelId: 'us.amazon.nova-lite-v1:0', messages: [] }));
};
