// expect: appconfig:StartConfigurationSession
// expect: appconfig:GetLatestConfiguration
import { getAppConfig } from '@aws-lambda-powertools/parameters/appconfig';

export const handler = async () => getAppConfig('features', { application: 'shop', environment: 'prod' });
