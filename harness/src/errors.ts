/**
 * The harness's local errors: one registry of HARNESS_ERR_* codes. Each maps to a CLI exit code:
 * usage and configuration problems exit 2, setup problems (a target or mock that won't start) exit 3.
 */

export const HarnessErrorCodes = {
  HARNESS_ERR_USAGE: 2,
  HARNESS_ERR_PROFILE_READ: 2,
  HARNESS_ERR_PROFILE_SYNTAX: 2,
  HARNESS_ERR_PROFILE_INVALID: 2,
  HARNESS_ERR_BASELINE_INVALID: 2,
  HARNESS_ERR_REPORT_READ: 2,
  HARNESS_ERR_TARGET_START: 3,
  HARNESS_ERR_TARGET_EXITED: 3,
  HARNESS_ERR_TARGET_NOT_READY: 3,
  HARNESS_ERR_TARGET_IMAGE: 3,
  HARNESS_ERR_NO_ENGINE: 3,
  HARNESS_ERR_NO_REDIS: 3,
  HARNESS_ERR_MOCK_START: 3,
  HARNESS_ERR_SUITE_RUN: 3,
  HARNESS_ERR_BENCH_TARGET: 3,
} as const;

export type HarnessErrorCode = keyof typeof HarnessErrorCodes;

export class HarnessError extends Error {
  readonly exitCode: number;
  constructor(
    readonly code: HarnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HarnessError';
    this.exitCode = HarnessErrorCodes[code];
  }
}

export function isHarnessError(err: unknown): err is HarnessError {
  return err instanceof Error && typeof (err as HarnessError).code === 'string' && (err as HarnessError).code.startsWith('HARNESS_ERR_');
}
