// Foreground commands (`up`, `run`) end on SIGINT/SIGTERM. Installing the handlers before setup begins
// means a signal during setup never kills us half-way: `run` cancels its setup and undoes what it
// created, `up` honours the signal once its setup is over. The handlers stay: a second signal while
// we tear down is ignored (said on stderr) rather than leaving half a teardown; kill -9 and
// `virtnet gc` remain the way to force it.

/** Resolves with the first SIGINT or SIGTERM received from now on; later ones are ignored. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const on = (sig: NodeJS.Signals): void => {
      if (first !== undefined) {
        process.stderr.write(
          `virtnet: ${sig} ignored: already stopping after ${first} (kill -9 and virtnet gc force it)\n`,
        );
        return;
      }
      first = sig;
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
