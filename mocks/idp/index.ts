/** The mock OAuth 2.1 / OIDC authorization server (oidc-provider). */
export { startIdp, FOREIGN_RESOURCE } from './idp.ts';
export type { Idp, IdpClient, IdpOptions } from './idp.ts';
