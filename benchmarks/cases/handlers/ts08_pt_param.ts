// expect: ssm:GetParameter
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';

export const handler = async (): Promise<string | undefined> => getParameter('/shop/endpoint');
