/** Lets the timers phase run once (a loop-lag gate's timer fires when due). */
export const timerPhase = () => new Promise((resolve) => setTimeout(resolve, 10));

/**
 * Keeps the event loop late until stopped: turns of `turnMs` in a row, as a reconnect storm's
 * handshakes make (the server shares the test process), with the timers and I/O phases in between so
 * clients, server and database still make progress, slowly. `stop()` resolves once a few on-time
 * turns have brought the smoothed lag back down.
 */
export function holdLoopLate(turnMs: number): { turns: () => number; stop: () => Promise<void> } {
  let running = true;
  let turns = 0;
  const loop = (async () => {
    while (running) {
      const turnEnds = performance.now() + turnMs;
      while (performance.now() < turnEnds) {
        // one long turn
      }
      turns += 1;
      await timerPhase();
    }
  })();
  return {
    turns: () => turns,
    stop: async () => {
      running = false;
      await loop;
      for (let phase = 0; phase < 5; phase += 1) {
        await timerPhase();
      }
    },
  };
}
