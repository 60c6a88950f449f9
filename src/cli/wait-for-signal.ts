// Foreground commands (`up`, `run`) end on SIGINT/SIGTERM. Installing the handlers before setup begins
// means a signal during setup is remembered and honoured after it, never kills us half-way.

/** Resolves with the first SIGINT or SIGTERM received from now on. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
