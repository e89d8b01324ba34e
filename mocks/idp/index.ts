/** The mock OAuth 2.1 / OIDC authorization server (oidc-provider). */
export { startIdp } from './idp.ts';
export type { Idp, IdpOptions } from './idp.ts';
