// What every server under test runs with: shared by the config's server and the tests that
// start their own.

/** The key the servers under test sign consent cookies with (32 bytes, base64), so that
 * tests can present a decision made earlier. Never a real key. */
export const CONSENT_KEY = 'ZTJlLXRlc3Qta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE';

export const CLARITY_PROJECT = 'e2etest123';
export const POLICY_REVISION = 2;

export const SERVER_ENV = {
  // Warnings, and the site's start-up line (see `listeningLine`) but not its line per saved
  // decision.
  RUST_LOG: 'warn,leadistry=info,leadistry::consent=warn',
  // A Clarity project, so the gate has something to load (the tag itself is intercepted),
  // and revision 2, so tests can present a decision made on revision 1.
  LEADISTRY_CLARITY_PROJECT_ID: CLARITY_PROJECT,
  LEADISTRY_POLICY_REVISION: String(POLICY_REVISION),
  LEADISTRY_CONSENT_LIFETIME_DAYS: '182',
  LEADISTRY_CONSENT_KEY: CONSENT_KEY,
  // Every test is one client (127.0.0.1): the rate limit is tested on its own.
  LEADISTRY_SAVES_PER_MINUTE: '60000',
  LEADISTRY_SAVES_BURST: '10000',
};

/** What a server under test says on stderr once it has bound `port` (tracing's info line
 * from the server's start-up). Seen from the process a test started, it proves that the
 * server answering there is that one, not one left over from another run. */
export const listeningLine = (port: number) => `listening on http://127.0.0.1:${port}`;
