/** What an attacker can try without breaking a token: someone else's session, a foreign Origin, guessable ids, talkative errors. */
import { defineChecks } from '../../harness/src/checks/define.ts';

export const SECURITY_CHECKS = defineChecks([
  {
    id: 'security/session-bound-to-user',
    title: 'A proxy MUST refuse a session id presented with another user\'s valid token, and serve nothing of that session to them (proxyspec L2; MCP says SHOULD bind)',
    suite: 'security',
    level: 2,
    strength: 'MUST',
    needs: ['sessions'],
    feature: 'auth',
    requirements: ['secbp-bind-session-user', 'secbp-no-session-authn'],
    why: 'Session ids leak (logs, proxies, screenshots); bound to the user, a leaked id is useless to anyone else. Unbound, it is a hijack.',
  },
  {
    id: 'security/foreign-origin-refused',
    title: 'A proxy MUST answer a request with a foreign Origin with 403 and not forward it',
    suite: 'security',
    level: 2,
    strength: 'MUST',
    needs: [],
    requirements: ['http-origin-validate', 'http-origin-403'],
    why: 'A web page can make a browser call a local proxy (DNS rebinding); the Origin header is the only sign that the caller is a foreign page.',
    proxyOnly: true,
  },
  {
    id: 'security/session-ids-unguessable',
    title: 'A proxy MUST mint session ids that are unique and unguessable: at least 64 bits of entropy estimated over many sessions',
    suite: 'security',
    level: 2,
    strength: 'MUST',
    needs: ['sessions'],
    requirements: ['secbp-secure-session-ids', 'session-id-secure', 'secbp-session-id-rng'],
    externalRefs: [
      {
        requirement: 'owasp-session-id-entropy',
        revision: 'OWASP',
        url: 'https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#session-id-entropy',
        quote: 'Session identifiers must have at least 64 bits of entropy to prevent brute-force session guessing attacks.',
        strength: 'MUST',
      },
    ],
    why: 'A counter or a timestamp in a session id lets anyone who sees one id guess the next user\'s.',
    proxyOnly: true,
  },
  {
    id: 'security/errors-leak-nothing',
    title: 'A proxy MUST NOT put stack traces, tokens or internal addresses in the errors it answers',
    suite: 'security',
    level: 2,
    strength: 'MUST',
    needs: [],
    requirements: ['auth-rs-validate-before-processing'],
    why: 'Error bodies reach whoever asks, authenticated or not; stack traces and internal addresses map the system for an attacker, and an echoed token is a stolen one.',
    proxyOnly: true,
  },
]);
