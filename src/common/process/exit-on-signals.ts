import type { Logger } from '@nestjs/common';

/**
 * SIGTERM/SIGINT run `stop` once, then exit 0 (1 if it throws, or if it outlasts `timeoutMs`).
 * Nest's own shutdown hooks would re-raise the signal after closing, which exits non-zero.
 */
export function exitOnSignals(
  logger: Logger,
  stop: (signal: string) => Promise<void>,
  timeoutMs?: number,
): void {
  let stopping = false;
  const handle = async (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    if (timeoutMs !== undefined) {
      setTimeout(() => {
        logger.error(`Shutdown took longer than ${timeoutMs / 1000} s, exiting`);
        process.exit(1);
      }, timeoutMs).unref();
    }
    try {
      await stop(signal);
      process.exit(0);
    } catch (error) {
      logger.error(`Shutdown failed: ${String(error)}`);
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void handle(signal));
  }
}
