/** The mock OAuth 2.1 / OIDC authorization server (oidc-provider). */
export { startIdp, FOREIGN_RESOURCE, HARNESS_TOKEN_HEADER, PROXY_CALLBACK_PATH, TOKEN_REQUESTS_PATH } from './idp.ts';
export type { Idp, IdpClient, IdpOptions, TokenRequestRecord } from './idp.ts';
