// Foreground commands (`up`, `run`) end on SIGINT/SIGTERM. Installing the handlers before setup begins
// means a signal during setup never kills us half-way: `run` cancels its setup and undoes what it
// created, `up` honours the signal once its setup is over.

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
